"""Podcast and RSS/Atom feeds read as episodes, through feedparser (its only home): show, author,
dates, GUIDs, iTunes and Podcasting 2.0 tags, enclosures, chapters.

May import core and system; the only home of feedparser.
"""
