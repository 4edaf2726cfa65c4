"""Who may see and who may change what. `scope` puts the region filters in the SQL that fetches (out of scope reads
like unknown: 404); `policy` decides each change on the fetched columns (403)."""
