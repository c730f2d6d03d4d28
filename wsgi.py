"""WSGI entry point: gunicorn wsgi:app"""
from finplat import create_app

app = create_app()
