"""Demo media: generated images and video, committed recordings (`backlot demo`)."""
