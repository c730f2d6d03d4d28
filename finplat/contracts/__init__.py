"""Contracts: templates, PDFs and their signatures; here so far the instance's certificate authority."""
