"""The choices the parser spells itself (it must not import the config or the models) are the
ones the config and the ledger accept."""

from __future__ import annotations

from spotsyncd.cli import common
from spotsyncd.core import config, config_sections
from spotsyncd.core.models import JobState


def test_the_parsers_choices_are_the_configs_and_the_ledgers() -> None:
    assert common.AUDIO_FORMATS == config_sections.AUDIO_FORMATS
    assert common.LOG_LEVELS == config.LOG_LEVELS
    assert common.ON_REMOVED == config_sections.ON_REMOVED
    assert common.NORMALIZE == config_sections.NORMALIZE
    assert tuple(state.value for state in JobState) == common.TRACK_STATES
