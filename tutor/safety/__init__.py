"""Safety checks every answer passes: dangerous advice, planted instructions, the canary, personal data."""
