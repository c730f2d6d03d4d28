"""Platform administration: the business date, close of business and the audit chain."""
