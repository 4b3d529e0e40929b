"""Helpers every test folder shares: waiting for a condition, a clock the test moves."""
