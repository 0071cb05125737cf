"""Use cases: registering requests and taking actions on them, one transaction each."""
