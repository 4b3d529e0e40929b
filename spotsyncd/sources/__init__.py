"""Where collections and track metadata come from (Spotify, ...)."""
