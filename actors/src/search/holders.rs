//! Which entries hold one word of the bodies, as the gaps between their positions, each
//! gap in as few bytes as it needs (7 bits a byte, the high bit saying another follows).
//!
//! Positions only grow as a list is built (entries are added in order, and a compaction
//! keeps their order), so the gaps are small: a common word's are mostly 1, one byte each.
//! At 10k prompts the lists held 902,625 positions, 3.6 MB as four bytes each.

use super::words::Position;

#[derive(Default)]
pub(super) struct Holders {
    gaps: Vec<u8>,
    /// The last position added: the next gap starts from it, and a body that repeats a
    /// word is seen holding it already.
    last: Option<Position>,
}

impl Holders {
    /// Adds `at`, unless it is the last position added; positions come in ascending order.
    pub fn push(&mut self, at: Position) {
        let gap = match self.last {
            Some(last) if last == at => return,
            Some(last) => {
                debug_assert!(at > last, "positions are added in ascending order");
                at - last
            }
            None => at,
        };
        write_gap(&mut self.gaps, gap);
        self.last = Some(at);
    }

    pub fn is_empty(&self) -> bool {
        self.last.is_none()
    }

    pub fn iter(&self) -> impl Iterator<Item = Position> + '_ {
        let mut bytes = self.gaps.iter();
        let mut at: Position = 0;
        std::iter::from_fn(move || {
            let mut gap: Position = 0;
            let mut shift = 0;
            loop {
                let byte = *bytes.next()?;
                gap |= Position::from(byte & 0x7f) << shift;
                if byte & 0x80 == 0 {
                    break;
                }
                shift += 7;
            }
            at += gap;
            Some(at)
        })
    }

    /// Adds `other`'s positions, each moved up by `offset`; all of them come after this
    /// list's.
    pub fn append(&mut self, other: &Holders, offset: Position) {
        let Some(other_last) = other.last else { return };
        let mut others = other.iter();
        let first = others.next().expect("a list with a last position has a first") + offset;
        self.push(first);
        // The gaps after the first are the same wherever the list starts.
        let first_len = gap_len(first - offset);
        self.gaps.extend_from_slice(&other.gaps[first_len..]);
        self.last = Some(other_last + offset);
    }

    /// Keeps the positions `moved` names a new place for, at that place.
    pub fn retain_moved(&mut self, moved: &[Option<Position>]) {
        let old = std::mem::take(self);
        for at in old.iter() {
            if let Some(to) = moved.get(at as usize).copied().flatten() {
                self.push(to);
            }
        }
        self.gaps.shrink_to_fit();
    }

    pub fn shrink_to_fit(&mut self) {
        self.gaps.shrink_to_fit();
    }
}

fn write_gap(gaps: &mut Vec<u8>, mut gap: Position) {
    while gap >= 0x80 {
        gaps.push((gap as u8 & 0x7f) | 0x80);
        gap >>= 7;
    }
    gaps.push(gap as u8);
}

/// The bytes [`write_gap`] writes for `gap`.
fn gap_len(gap: Position) -> usize {
    let bits = Position::BITS - gap.leading_zeros();
    (bits.max(1) as usize).div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holders(positions: &[Position]) -> Holders {
        let mut holders = Holders::default();
        positions.iter().for_each(|&at| holders.push(at));
        holders
    }

    const SPREAD: [Position; 9] = [0, 1, 2, 127, 128, 300, 16_383, 16_384, u32::MAX];

    #[test]
    fn positions_come_back_in_order_whatever_their_gaps() {
        let held = holders(&SPREAD);
        assert_eq!(held.iter().collect::<Vec<_>>(), SPREAD);
        assert_eq!(holders(&[5]).iter().collect::<Vec<_>>(), [5]);
        assert!(Holders::default().iter().next().is_none());
        for gap in [0, 1, 127, 128, 16_383, 16_384, u32::MAX] {
            let mut bytes = Vec::new();
            write_gap(&mut bytes, gap);
            assert_eq!(bytes.len(), gap_len(gap), "{gap}");
        }
    }

    #[test]
    fn a_position_added_twice_in_a_row_is_held_once() {
        let held = holders(&[3, 3, 4, 4, 4, 9]);
        assert_eq!(held.iter().collect::<Vec<_>>(), [3, 4, 9]);
        assert_eq!(held.gaps.len(), 3, "one byte a small gap");
    }

    #[test]
    fn appended_lists_move_up_by_their_offset() {
        for first in [0, 1, 200, 20_000] {
            let mut joined = holders(&[2, 7]);
            joined.append(&holders(&[first, first + 1, first + 500]), 10);
            let want = [2, 7, first + 10, first + 11, first + 510];
            assert_eq!(joined.iter().collect::<Vec<_>>(), want, "first {first}");
            joined.push(first + 600);
            assert_eq!(joined.iter().last(), Some(first + 600));
        }
        let mut empty = Holders::default();
        empty.append(&holders(&[0, 4]), 3);
        assert_eq!(empty.iter().collect::<Vec<_>>(), [3, 7]);
        empty.append(&Holders::default(), 9);
        assert_eq!(empty.iter().collect::<Vec<_>>(), [3, 7]);
    }

    #[test]
    fn compacting_keeps_only_the_moved_positions_at_their_new_places() {
        let mut held = holders(&[0, 1, 2, 5]);
        held.retain_moved(&[None, Some(0), Some(1), None, None, Some(2)]);
        assert_eq!(held.iter().collect::<Vec<_>>(), [0, 1, 2]);
        held.retain_moved(&[None, None, None]);
        assert!(held.is_empty());
        held.push(0);
        assert_eq!(held.iter().collect::<Vec<_>>(), [0]);
    }
}
