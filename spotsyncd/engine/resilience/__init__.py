"""What keeps the daemon working unattended: circuit breakers per service, the offline watch,
outage bookkeeping, the lookout that turns both into alerts.

May import the layers below engine only.
"""
