"""Tags, read and written with mutagen: ``writer`` (``MutagenTagger``, lyrics, the embedded cover)
drives ``formats`` (each format's common tags), ``extras`` (an episode's comment and chapters),
``identity`` (MusicBrainz and AcoustID IDs) and ``values`` (plain helpers, no mutagen).

Outside code uses ``MutagenTagger`` and ``read_picture``, re-exported here.

May import core and media's lyrics; the only home of mutagen.
"""

from spotsyncd.media.tags.writer import MutagenTagger, read_picture

__all__ = ["MutagenTagger", "read_picture"]
