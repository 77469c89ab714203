"""What rules share: name resolution, scopes, data tables and the cross-file project index."""
