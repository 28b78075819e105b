//! The texts the index matches, side by side in one buffer: a keystroke over a large
//! library then reads memory in order. Over 100k separately allocated titles the same pass
//! took 4.5 times as long, most of it waiting for memory.

use nucleo_matcher::{Utf32Str, Utf32String};

/// Where one text lies in a [`TextArena`].
#[derive(Debug, Clone, Copy)]
pub(super) struct TextSpan {
    start: usize,
    len: usize,
    /// Held as characters (the text is not all ASCII), not as bytes.
    wide: bool,
}

#[derive(Default)]
pub(super) struct TextArena {
    ascii: Vec<u8>,
    wide: Vec<char>,
    /// Characters of texts no longer held, until `compact` drops them.
    unused: usize,
}

impl TextArena {
    pub fn push(&mut self, text: &Utf32String) -> TextSpan {
        match text.slice(..) {
            Utf32Str::Ascii(bytes) => {
                let start = self.ascii.len();
                self.ascii.extend_from_slice(bytes);
                TextSpan { start, len: bytes.len(), wide: false }
            }
            Utf32Str::Unicode(chars) => {
                let start = self.wide.len();
                self.wide.extend_from_slice(chars);
                TextSpan { start, len: chars.len(), wide: true }
            }
        }
    }

    /// One arena holding the texts of all `arenas`, with no room to spare (a library's
    /// texts are most of the index); gives where each arena's spans now lie.
    pub fn join(arenas: &[TextArena]) -> (Self, Vec<impl Fn(TextSpan) -> TextSpan + use<>>) {
        let mut joined = Self {
            ascii: Vec::with_capacity(arenas.iter().map(|a| a.ascii.len()).sum()),
            wide: Vec::with_capacity(arenas.iter().map(|a| a.wide.len()).sum()),
            unused: 0,
        };
        let moves = arenas.iter().map(|arena| joined.append(arena)).collect();
        (joined, moves)
    }

    /// Copies `other`'s texts to the end of this arena; gives where a span of `other`'s
    /// now lies.
    fn append(&mut self, other: &TextArena) -> impl Fn(TextSpan) -> TextSpan + use<> {
        let (ascii, wide) = (self.ascii.len(), self.wide.len());
        self.ascii.extend_from_slice(&other.ascii);
        self.wide.extend_from_slice(&other.wide);
        self.unused += other.unused;
        move |span| TextSpan { start: span.start + if span.wide { wide } else { ascii }, ..span }
    }

    pub fn get(&self, span: TextSpan) -> Utf32Str<'_> {
        let range = span.start..span.start + span.len;
        match span.wide {
            false => Utf32Str::Ascii(&self.ascii[range]),
            true => Utf32Str::Unicode(&self.wide[range]),
        }
    }

    /// Marks the text at `span` as no longer held.
    pub fn release(&mut self, span: TextSpan) {
        self.unused += span.len;
    }

    /// Whether more than half the arena is texts no longer held.
    pub fn is_wasteful(&self) -> bool {
        self.unused > 4_096 && self.unused * 2 > self.ascii.len() + self.wide.len()
    }

    /// Keeps only the texts at `spans` (every text still held), moving each span to match.
    pub fn compact<'a>(&mut self, spans: impl IntoIterator<Item = &'a mut TextSpan>) {
        let old = std::mem::take(self);
        for span in spans {
            let text = old.get(*span);
            *span = match text {
                Utf32Str::Ascii(bytes) => {
                    self.ascii.extend_from_slice(bytes);
                    TextSpan { start: self.ascii.len() - bytes.len(), ..*span }
                }
                Utf32Str::Unicode(chars) => {
                    self.wide.extend_from_slice(chars);
                    TextSpan { start: self.wide.len() - chars.len(), ..*span }
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_come_back_as_pushed_after_compacting_away_released_ones() {
        let mut arena = TextArena::default();
        let texts: Vec<String> = (0..2_000)
            .map(|n| if n % 3 == 0 { format!("café {n}") } else { format!("t{n}") })
            .collect();
        let mut spans: Vec<TextSpan> =
            texts.iter().map(|t| arena.push(&Utf32String::from(t.as_str()))).collect();
        let (mut kept, mut kept_spans) = (Vec::new(), Vec::new());
        for (n, (text, span)) in texts.iter().zip(spans.drain(..)).enumerate() {
            match n % 4 {
                0 => {
                    kept.push(text);
                    kept_spans.push(span);
                }
                _ => arena.release(span),
            }
        }
        assert!(arena.is_wasteful());
        arena.compact(kept_spans.iter_mut());
        assert!(!arena.is_wasteful());
        for (text, span) in kept.iter().zip(&kept_spans) {
            assert_eq!(arena.get(*span).to_string(), Utf32String::from(text.as_str()).to_string());
        }
    }
}
