"""The analyzer tested as behaviour, on two synthetic speakers and Praat-made variants:
what a listener would say about each pair must show in the scores."""

from __future__ import annotations

import numpy as np
import pytest

from backlot.analysis import SAMPLE_RATE, Analysis, NoSpeechError, analyze
from backlot.analysis.features import semitones
from tests.analysis.voices import LINE, monotone, noise, stretched, voice

DIMENSIONS = ("pronunciation", "intonation", "emotion", "timing", "overall")


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return voice("line_low")


@pytest.fixture(scope="module")
def itself(reference: np.ndarray) -> Analysis:
    return analyze(reference, reference, LINE)


def test_the_reference_against_itself_scores_at_least_95(itself: Analysis) -> None:
    for name, score in itself.scores().items():
        assert score >= 95, (name, score)
    assert not itself.monotone
    assert itself.feedback["remarks"] == ["Close to the original throughout."]


def test_a_slower_copy_keeps_its_sounds_and_melody_and_loses_timing(
    reference: np.ndarray, itself: Analysis
) -> None:
    slow = analyze(reference, stretched(reference, 1.3), LINE)
    assert slow.pronunciation >= 85
    assert slow.intonation >= 85
    assert slow.timing <= itself.timing - 25
    assert slow.feedback["measures"]["duration_ratio"] == pytest.approx(1.3, abs=0.05)
    assert any("30 % slower" in remark for remark in slow.feedback["remarks"])
    fast = analyze(reference, stretched(reference, 0.75), LINE)
    assert fast.timing <= itself.timing - 25 and fast.pronunciation >= 80
    assert any("faster" in remark for remark in fast.feedback["remarks"])


def test_a_monotone_copy_loses_intonation_and_emotion(
    reference: np.ndarray, itself: Analysis
) -> None:
    flat = analyze(reference, monotone(reference), LINE)
    assert flat.monotone
    assert flat.intonation <= 40
    assert flat.emotion <= itself.emotion - 25
    assert flat.pronunciation >= 85  # the words are all there
    assert flat.feedback["remarks"][0].startswith("Your delivery is monotone")


def test_a_different_sentence_loses_pronunciation(reference: np.ndarray) -> None:
    other = analyze(reference, voice("other_low"), LINE)
    assert other.pronunciation <= 30
    assert other.overall <= 50


def test_another_voice_saying_the_line_beats_the_same_voice_saying_another(
    reference: np.ndarray,
) -> None:
    same_words = analyze(reference, voice("line_high"), LINE)
    other_words = analyze(reference, voice("other_low"), LINE)
    assert same_words.pronunciation >= other_words.pronunciation + 40
    assert same_words.overall >= other_words.overall + 25
    assert same_words.intonation >= 80  # pitch is compared relative to each voice


def test_silence_and_noise_fail_clearly(reference: np.ndarray) -> None:
    with pytest.raises(NoSpeechError, match="silent"):
        analyze(reference, np.zeros(3 * SAMPLE_RATE, np.float32))
    with pytest.raises(NoSpeechError, match="no voiced speech"):
        analyze(reference, noise(3.0))
    click = np.zeros(SAMPLE_RATE, np.float32)
    click[100:200] = 0.5
    with pytest.raises(NoSpeechError, match="quarter second"):
        analyze(reference, click)
    with pytest.raises(NoSpeechError, match="reference"):
        analyze(np.zeros(SAMPLE_RATE, np.float32), reference)


def test_speech_under_noise_scores_lower_than_clean_speech(
    reference: np.ndarray, itself: Analysis
) -> None:
    padded = np.zeros(reference.size, np.float32)
    noisy = reference + noise(reference.size / SAMPLE_RATE, 0.05)[: reference.size] + padded
    heard = analyze(reference, noisy, LINE)
    assert heard.overall < itself.overall
    assert heard.pronunciation >= 40  # the words are still audible


def test_feedback_carries_segments_and_contours_for_plotting(reference: np.ndarray) -> None:
    result = analyze(reference, stretched(reference, 1.3), LINE)
    contours = result.feedback["contours"]
    lengths = {len(values) for values in contours.values()}
    assert len(lengths) == 1 and 10 < lengths.pop() <= 300
    assert contours["time"] == sorted(contours["time"])
    voiced = [v for v in contours["attempt_pitch"] if v is not None]
    assert voiced and all(-24 < v < 24 for v in voiced)  # semitones around the median
    segments = result.feedback["segments"]
    assert segments[0]["start"] == 0 and segments[-1]["end"] > 3
    assert all(s["words"] for s in segments)  # the line's words, spread over the time
    assert " ".join(s["words"] for s in segments).startswith("The quick")
    for name in DIMENSIONS:
        assert 0 <= getattr(result, name) <= 100


def test_a_pitch_two_octaves_off_the_voice_is_a_tracking_error_not_melody() -> None:
    """Praat's overlap-add (the `stretched` variant) fills stretched unvoiced stretches
    with randomly placed pieces; in some draws the tracker reports 428 Hz frames in a
    105 Hz voice. Such frames are not the speaker's melody: they count as unvoiced."""
    f0 = np.full(200, 105.0)
    f0[50:60] = 0.0
    f0[100:103] = 428.0  # +24.3 semitones
    f0[150:160] = 160.0  # +7.3 semitones: a real rise
    curve = semitones(f0)
    assert np.isnan(curve[50:60]).all() and np.isnan(curve[100:103]).all()
    assert curve[150] == pytest.approx(12 * np.log2(160 / 105))
    assert np.nanmax(np.abs(curve)) < 24
