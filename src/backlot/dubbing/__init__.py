"""Seeds 003-004 ("YouSync"): dubbing practice; lines of scripts, recorded attempts,
queued scoring with progress over SSE, signed webhooks, my page."""
