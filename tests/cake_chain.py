"""Keyframes of the offline script that once failed to render (issue #13), shared by the
renderer's fuzz test and the CLI test that renders it whole."""

# The sample script that failed: Grumble, "Grumble tries to bake a cake", 3 segments, default
# settings; its segment 3 raised LinAlgError('Singular matrix'). Its keyframes, painted again.
CAKE_CHAIN = (
    "Wide shot in a cosy kitchen, in soft morning light: a happy Grumble, the tall teal "
    "creature, bounces along, looking around with wide-eyed wonder, on the left of the frame.",
    "Wide shot in a cosy kitchen, in bright daylight: a curious Grumble sniffs at the surprise "
    "from a safe distance, in the centre of the frame.",
    "Close-up in a cosy kitchen, in bright daylight: a triumphant Grumble holds its paws up in "
    "triumph next to the surprise, on the left of the frame.",
    "Wide shot in a cosy kitchen, at golden sunset: a calm Grumble snuggles up beside the "
    "surprise, eyes half closed, on the right of the frame.",
)
