"""The settings and weather an idea names are visible in the painted keyframe: snow is white
ground under falling flakes, night is dark, underwater is blue, rain dulls the scene and
streaks it. Measured on pixel statistics of frames painted from the wording the writer uses
(its frames are checked to parse to these settings in test_idea_following)."""

from __future__ import annotations

import cv2
import numpy as np

from avpe_desktop.engines.local.painter import compose_frame
from avpe_desktop.engines.local.scene import parse_description

SIZE = (480, 270)


def sprite() -> np.ndarray:
    """A small grey disc: a character that sits to one side and leaves the scene readable."""
    size = 60
    yy, xx = np.mgrid[0:size, 0:size]
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[(xx - size / 2) ** 2 + (yy - size / 2) ** 2 < (size * 0.45) ** 2] = (128, 128, 128, 255)
    return rgba


def painted(place: str, when: str = "in bright daylight") -> np.ndarray:
    """A wide keyframe with the character on the right, cut to the left half: the scene."""
    description = f"Wide shot {place}, {when}: a calm Nib, on the right of the frame."
    frame = compose_frame(parse_description(description), SIZE, sprite(), seed=3)
    return frame[:, : SIZE[0] // 2]


def brightness(image: np.ndarray) -> float:
    return float(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).mean())


def saturation(image: np.ndarray) -> float:
    return float(cv2.cvtColor(image, cv2.COLOR_RGB2HSV)[..., 1].mean())


def ground(image: np.ndarray) -> np.ndarray:
    return image[int(image.shape[0] * 0.8) :]


def sky(image: np.ndarray) -> np.ndarray:
    return image[: int(image.shape[0] * 0.4)]


def streakiness(image: np.ndarray) -> float:
    """Mean horizontal gradient: thin near-vertical streaks raise it, smooth skies do not."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(np.diff(gray, axis=1)).mean())


def test_snow_is_white_ground() -> None:
    snow, park = painted("in the snow"), painted("in a leafy park")
    assert brightness(ground(snow)) > max(170, brightness(ground(park)) + 50)
    assert saturation(ground(snow)) < 0.5 * saturation(ground(park))


def test_snow_falls_on_any_outdoor_set() -> None:
    snowing = painted("in a quiet forest", "in bright daylight, in the falling snow")
    clear = painted("in a quiet forest")
    lighter = cv2.cvtColor(snowing, cv2.COLOR_RGB2GRAY).astype(int) - cv2.cvtColor(
        clear, cv2.COLOR_RGB2GRAY
    )
    assert (lighter > 40).mean() > 0.01


def test_night_is_dark() -> None:
    night, day = painted("on a busy city street", "at night"), painted("on a busy city street")
    assert brightness(night) < min(90, 0.7 * brightness(day))


def test_underwater_is_blue() -> None:
    water = painted("at the shipwreck underwater").astype(np.float32)
    top = water[: int(water.shape[0] * 0.6)]
    red, green, blue = (float(top[..., c].mean()) for c in range(3))
    assert blue > red + 60 and blue > green


def test_rain_dulls_and_streaks_the_scene() -> None:
    rain = painted("in a leafy park", "in bright daylight, in the rain")
    dry = painted("in a leafy park")
    assert saturation(rain) < 0.8 * saturation(dry)
    assert streakiness(sky(rain)) > 1.5 * streakiness(sky(dry))


def test_rain_stays_outside_a_kitchen() -> None:
    wet = painted("in a cosy kitchen", "at night, with the rain outside the window")
    dry = painted("in a cosy kitchen", "at night")
    assert np.abs(wet.astype(int) - dry.astype(int)).mean() < 2
