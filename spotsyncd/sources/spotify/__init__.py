"""Spotify: the Web API through spotipy, the credential-free embed page, login and tokens.

May import core and system; the only home of spotipy.
"""
