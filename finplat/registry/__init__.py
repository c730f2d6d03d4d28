"""The rural property-rights registry: parties, rights, consents, collective share registers and liens."""
