"""Instance keys and encryption of personal data at rest."""
