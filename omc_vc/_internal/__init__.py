"""Private helpers (multibase, time, fetcher, atomic files, resources). Not public API."""
