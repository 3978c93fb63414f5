"""The audiences of dubbing's URL tokens (credentials in URLs a browser or the analysis
server fetches without a header), one definition each."""

AUDIO_AUDIENCE = "dubbing-audio"  # a line's reference audio (audio_url, and the analyzer)
ATTEMPT_AUDIENCE = "dubbing-attempt"  # a job's recording, for the analysis server
PROGRESS_AUDIENCE = "dubbing-progress"  # a job's progress stream (progress_url)
