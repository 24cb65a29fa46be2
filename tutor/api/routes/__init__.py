"""One router per area of the API; create_app includes them all."""
