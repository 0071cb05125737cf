"""Letter rendering from the templates in templates/replies/."""
