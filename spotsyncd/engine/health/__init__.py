"""Checks and the user commands that inspect or repair: doctor, status and why, verify, retag.

May import engine.scaleout, engine.jobs, engine.resilience, engine.wiring and the layers below
engine.
"""
