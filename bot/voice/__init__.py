"""The voice channel's pipecat stages: VAD → speech to text → frontdesk → speech."""
