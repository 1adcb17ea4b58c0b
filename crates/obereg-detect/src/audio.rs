//! Call audio: the time ranges of a recording that hold personal data, found through its
//! transcript's word timings, and a copy of a WAV file with those ranges replaced by
//! silence or a tone.
//!
//! The words are joined with single spaces into one text, remembering where each word sits;
//! [`crate::detect`] runs on that text, and every finding becomes the time from the start of
//! its first word to the end of its last, widened by a margin (ASR timings are approximate)
//! and merged with its neighbours.
//!
//! The WAV reader is written here (no dependency): RIFF/WAVE with PCM 8, 16, 24 or 32-bit
//! integer or 32-bit float samples, any channel count and rate. Every chunk other than the
//! samples is copied as it was. A malformed file is refused with a reason and nothing is
//! written.

use crate::{Finding, Kind};

/// One word of a transcript with its time in seconds.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct TimedWord {
    #[serde(alias = "text")]
    pub word: String,
    pub start: f64,
    pub end: f64,
}

/// A stretch of a recording to hide, in seconds, and what it held.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Span {
    pub start: f64,
    pub end: f64,
    pub kinds: Vec<Kind>,
}

/// Added before and after each range: word timings from speech recognition are approximate.
pub const MARGIN_SECS: f64 = 0.15;

/// The words of a transcript as ASR engines emit them: `{"words": [...]}` or Whisper's
/// `{"segments": [{"words": [...]}]}`, each word `{"word" | "text", "start", "end"}`.
pub fn parse_transcript(json: &[u8]) -> Result<Vec<TimedWord>, String> {
    #[derive(serde::Deserialize)]
    struct Segment {
        words: Vec<TimedWord>,
    }
    #[derive(serde::Deserialize)]
    struct Transcript {
        words: Option<Vec<TimedWord>>,
        segments: Option<Vec<Segment>>,
    }
    // The parser's own message can quote the transcript (its words are personal data): only
    // the place is reported.
    let t: Transcript = serde_json::from_slice(json)
        .map_err(|e| format!("the transcript is not the expected JSON (line {}, column {})", e.line(), e.column()))?;
    let words = match (t.words, t.segments) {
        (Some(words), _) => words,
        (None, Some(segments)) => segments.into_iter().flat_map(|s| s.words).collect(),
        (None, None) => return Err("the transcript has neither `words` nor `segments`".into()),
    };
    if let Some(w) = words.iter().find(|w| !(w.start.is_finite() && w.end.is_finite() && w.start >= 0.0 && w.end >= w.start)) {
        return Err(format!("a word has impossible times: {} to {}", w.start, w.end));
    }
    Ok(words)
}

/// The stretches of the recording that hold personal data, in time order, merged.
pub fn sensitive_spans(words: &[TimedWord]) -> Vec<Span> {
    let mut text = String::new();
    let mut places = Vec::with_capacity(words.len());
    for w in words {
        if !text.is_empty() {
            text.push(' ');
        }
        let at = text.len();
        text.push_str(w.word.trim());
        places.push((at, text.len()));
    }
    let mut spans: Vec<Span> = Vec::new();
    for Finding { kind, start, end, .. } in crate::detect(text.as_bytes()) {
        let covered: Vec<usize> = (0..words.len()).filter(|&k| places[k].0 < end && start < places[k].1).collect();
        let (Some(&first), Some(&last)) = (covered.first(), covered.last()) else { continue };
        let span = Span { start: (words[first].start - MARGIN_SECS).max(0.0), end: words[last].end + MARGIN_SECS, kinds: vec![kind] };
        match spans.last_mut() {
            Some(prev) if span.start <= prev.end => {
                prev.end = prev.end.max(span.end);
                if !prev.kinds.contains(&kind) {
                    prev.kinds.push(kind);
                }
            }
            _ => spans.push(span),
        }
    }
    spans
}

/// What replaces the hidden stretches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    Silence,
    /// A 1 kHz tone at a tenth of full scale: a listener hears that something was cut.
    Tone,
}

/// The format a WAV file's samples are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavFormat {
    pub channels: u16,
    pub sample_rate: u32,
    pub bits: u16,
    pub float: bool,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Reads the format and where the samples lie (`data` chunk start and length).
pub fn wav_layout(wav: &[u8]) -> Result<(WavFormat, usize, usize), String> {
    if wav.len() < 12 || &wav[..4] != b"RIFF" || &wav[8..12] != b"WAVE" {
        return Err("not a RIFF/WAVE file".into());
    }
    let mut at = 12;
    let mut format = None;
    while at + 8 <= wav.len() {
        let id = &wav[at..at + 4];
        let len = u32_at(wav, at + 4).ok_or("a chunk header is cut off")? as usize;
        let body = at + 8;
        if body + len > wav.len() {
            return Err(format!("chunk `{}` runs past the end of the file", String::from_utf8_lossy(id)));
        }
        match id {
            b"fmt " => {
                let tag = u16_at(wav, body).ok_or("the format chunk is too short")?;
                let channels = u16_at(wav, body + 2).ok_or("the format chunk is too short")?;
                let sample_rate = u32_at(wav, body + 4).ok_or("the format chunk is too short")?;
                let bits = u16_at(wav, body + 14).ok_or("the format chunk is too short")?;
                // WAVE_FORMAT_EXTENSIBLE keeps the real tag in its sub-format GUID.
                let tag = if tag == 0xFFFE { u16_at(wav, body + 24).ok_or("the extensible format chunk is too short")? } else { tag };
                let float = match (tag, bits) {
                    (1, 8 | 16 | 24 | 32) => false,
                    (3, 32) => true,
                    _ => return Err(format!("unsupported sample format (tag {tag}, {bits} bits): PCM 8/16/24/32-bit or 32-bit float")),
                };
                if channels == 0 || sample_rate == 0 {
                    return Err("the format chunk names no channels or no sample rate".into());
                }
                format = Some(WavFormat { channels, sample_rate, bits, float });
            }
            b"data" => {
                let format = format.ok_or("the samples come before their format")?;
                return Ok((format, body, len));
            }
            _ => {}
        }
        at = body + len + (len & 1);
    }
    Err("the file has no `data` chunk".into())
}

/// A copy of `wav` with `spans` replaced by `fill`. Spans past the end are cut at it.
pub fn redact_wav(wav: &[u8], spans: &[Span], fill: Fill) -> Result<Vec<u8>, String> {
    let (f, data, len) = wav_layout(wav)?;
    let width = usize::from(f.bits / 8);
    let frame = width * usize::from(f.channels);
    let frames = len / frame;
    let mut out = wav.to_vec();
    for span in spans {
        let from = ((span.start * f64::from(f.sample_rate)) as usize).min(frames);
        let to = ((span.end * f64::from(f.sample_rate)).ceil() as usize).min(frames);
        for n in from..to {
            let value = match fill {
                Fill::Silence => 0.0,
                Fill::Tone => 0.1 * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / f64::from(f.sample_rate)).sin(),
            };
            let sample = encode(value, f);
            for c in 0..usize::from(f.channels) {
                let at = data + n * frame + c * width;
                out[at..at + width].copy_from_slice(&sample[..width]);
            }
        }
    }
    Ok(out)
}

/// One sample in `f`'s encoding, from -1..1 (8-bit PCM is unsigned, centred on 128).
fn encode(value: f64, f: WavFormat) -> [u8; 4] {
    if f.float {
        return (value as f32).to_le_bytes();
    }
    match f.bits {
        8 => [(128.0 + value * 127.0) as u8, 0, 0, 0],
        16 => {
            let [a, b] = ((value * f64::from(i16::MAX)) as i16).to_le_bytes();
            [a, b, 0, 0]
        }
        24 => {
            let [a, b, c, _] = ((value * 8_388_607.0) as i32).to_le_bytes();
            [a, b, c, 0]
        }
        _ => ((value * f64::from(i32::MAX)) as i32).to_le_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAV file of a 440 Hz sine, written here.
    fn wav(rate: u32, channels: u16, bits: u16, secs: f64) -> Vec<u8> {
        let frames = (f64::from(rate) * secs) as usize;
        let f = WavFormat { channels, sample_rate: rate, bits, float: false };
        let mut data = Vec::new();
        for n in 0..frames {
            let v = 0.5 * (2.0 * std::f64::consts::PI * 440.0 * n as f64 / f64::from(rate)).sin();
            for _ in 0..channels {
                data.extend_from_slice(&encode(v, f)[..usize::from(bits / 8)]);
            }
        }
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * u32::from(channels) * u32::from(bits / 8)).to_le_bytes());
        out.extend_from_slice(&(channels * bits / 8).to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&data);
        out
    }

    fn words() -> Vec<TimedWord> {
        let w = |word: &str, start: f64, end: f64| TimedWord { word: word.into(), start, end };
        vec![
            w("Мой", 0.0, 0.3),
            w("номер", 0.3, 0.7),
            w("+7", 0.8, 1.0),
            w("916", 1.0, 1.3),
            w("123-45-67", 1.3, 2.0),
            w("спасибо", 2.5, 3.0),
        ]
    }

    fn sample16(wav: &[u8], data: usize, n: usize) -> i16 {
        i16::from_le_bytes([wav[data + 2 * n], wav[data + 2 * n + 1]])
    }

    #[test]
    fn the_spoken_phone_number_is_silenced_and_nothing_else() {
        let spans = sensitive_spans(&words());
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].kinds, [Kind::Phone]);
        assert!((spans[0].start - 0.65).abs() < 1e-9 && (spans[0].end - 2.15).abs() < 1e-9, "{spans:?}");
        let original = wav(8000, 1, 16, 4.0);
        let redacted = redact_wav(&original, &spans, Fill::Silence).unwrap();
        let (_, data, len) = wav_layout(&redacted).unwrap();
        assert_eq!(redacted.len(), original.len());
        for n in 0..len / 2 {
            let t = n as f64 / 8000.0;
            let inside = (0.66..2.14).contains(&t);
            let outside = !(0.64..2.16).contains(&t);
            if inside {
                assert_eq!(sample16(&redacted, data, n), 0, "sample {n} at {t}s");
            } else if outside {
                assert_eq!(sample16(&redacted, data, n), sample16(&original, data, n), "sample {n} at {t}s");
            }
        }
        let toned = redact_wav(&original, &spans, Fill::Tone).unwrap();
        assert!((6000..17000).any(|n| sample16(&toned, data, n) != 0), "a tone is heard");
        assert!((6000..17000).all(|n| sample16(&toned, data, n).unsigned_abs() <= 3277), "at a tenth of full scale");
    }

    #[test]
    fn other_layouts_work_and_malformed_files_are_refused() {
        let stereo = wav(16000, 2, 24, 3.0);
        let spans = sensitive_spans(&words());
        let out = redact_wav(&stereo, &spans, Fill::Silence).unwrap();
        let (f, data, _) = wav_layout(&out).unwrap();
        assert_eq!((f.channels, f.bits), (2, 24));
        let frame = 6;
        let at = data + 16000 * frame; // 1.0 s, inside
        assert_eq!(&out[at..at + frame], &[0u8; 6]);
        let mut cut = wav(8000, 1, 16, 1.0);
        cut.truncate(cut.len() - 10);
        assert!(redact_wav(&cut, &spans, Fill::Silence).unwrap_err().contains("runs past the end"));
        assert!(redact_wav(b"RIFF....WAVX", &spans, Fill::Silence).unwrap_err().contains("not a RIFF/WAVE"));
        let mut twelve = wav(8000, 1, 16, 0.1);
        twelve[34] = 12;
        assert!(redact_wav(&twelve, &spans, Fill::Silence).unwrap_err().contains("unsupported sample format"));
        assert!(parse_transcript(br#"{"words":[{"word":"a","start":2,"end":1}]}"#).unwrap_err().contains("impossible times"));
        assert!(parse_transcript(b"{}").is_err());
        let quoted = parse_transcript(r#"{"words":[{"word":"Анна","start":"Петрова","end":1}]}"#.as_bytes()).unwrap_err();
        assert!(quoted.contains("line 1") && !quoted.contains("Петрова"), "{quoted}");
        let whisper = br#"{"segments":[{"words":[{"word":" +7","start":0.1,"end":0.2},{"text":"9161234567","start":0.2,"end":1.0}]}]}"#;
        assert_eq!(parse_transcript(whisper).unwrap().len(), 2);
    }

    proptest::proptest! {
        /// Any bytes as a WAV file or a transcript: a clear refusal or a copy, never a panic.
        #[test]
        fn arbitrary_files_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let spans = [Span { start: 0.0, end: 1e9, kinds: vec![Kind::Phone] }];
            if let Ok(out) = redact_wav(&bytes, &spans, Fill::Tone) {
                proptest::prop_assert_eq!(out.len(), bytes.len());
            }
            let mut riff = b"RIFF\0\0\0\0WAVE".to_vec();
            riff.extend_from_slice(&bytes);
            let _ = redact_wav(&riff, &spans, Fill::Silence);
            let _ = parse_transcript(&bytes);
        }
    }
}
