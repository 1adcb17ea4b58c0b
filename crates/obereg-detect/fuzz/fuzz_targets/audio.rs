//! Any bytes as a WAV file and as a transcript: a refusal or a same-length copy, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use obereg_detect::audio::{Fill, Span, parse_transcript, redact_wav, sensitive_spans};

fuzz_target!(|data: &[u8]| {
    if let Ok(words) = parse_transcript(data) {
        let _ = sensitive_spans(&words);
    }
    let spans = [Span { start: 0.0, end: 1e9, kinds: Vec::new() }];
    if let Ok(out) = redact_wav(data, &spans, Fill::Tone) {
        assert_eq!(out.len(), data.len());
    }
});
