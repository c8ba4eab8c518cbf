//! How a large file is cut into segments, and which segment a free connection
//! takes next: one no connection has started, else the second half of the one with
//! the most left (as aria2 does), so one slow connection does not hold the file
//! back while the others sit idle.

use crate::disk::resume::Segment;
use crate::transfer::types::SplitPolicy;

/// A segment is split for an idle connection only if each half is at least this
/// large: smaller, a new request's round trip costs more than it saves. Well above
/// what a segment holds unwritten ([`super::worker::SEGMENT_BUFFER_BYTES`] and one
/// chunk), so its new end is never behind bytes it already has.
const MIN_STOLEN_BYTES: u64 = 1024 * 1024;

/// The segments for a file of `total` bytes, or `None` when it should not be split.
pub fn plan_segments(total: u64, policy: SplitPolicy) -> Option<Vec<Segment>> {
    let by_size = total / policy.min_segment_size.max(1);
    let count = (policy.max_segments as u64).min(by_size);
    if count < 2 {
        return None;
    }
    let size = total.div_ceil(count);
    Some(
        (0..count)
            .map(|index| Segment {
                start: index * size,
                end: ((index + 1) * size).min(total),
                done: 0,
            })
            .filter(|segment| segment.start < segment.end)
            .collect(),
    )
}

/// The segments of the file, and which of them a connection has taken.
pub(super) struct Layout {
    /// Every segment, in the order they were made (halves at the end).
    pub segments: Vec<Segment>,
    /// Whether a connection has taken the segment of the same index.
    pub taken: Vec<bool>,
}

/// What a free connection takes next.
#[derive(Debug, Clone, Copy)]
pub(super) enum NextSegment {
    /// A segment no connection has taken.
    Untaken(usize),
    /// The second half of this segment, the one with the most left.
    SecondHalfOf(usize),
}

impl Layout {
    /// `segments`, none of them taken yet.
    pub fn new(segments: Vec<Segment>) -> Layout {
        Layout {
            taken: vec![false; segments.len()],
            segments,
        }
    }

    /// What a free connection would take next: a segment no connection has taken,
    /// else the second half of the one with the most left if each half is worth a
    /// request; `None` when nothing is. The one rule for starting a connection and
    /// for giving one work.
    pub fn next(&self) -> Option<NextSegment> {
        if let Some(index) = (0..self.segments.len())
            .find(|&index| !self.taken[index] && self.segments[index].remaining() > 0)
        {
            return Some(NextSegment::Untaken(index));
        }
        let (largest, remaining) = self
            .segments
            .iter()
            .map(Segment::remaining)
            .enumerate()
            .max_by_key(|&(_, remaining)| remaining)?;
        (remaining >= 2 * MIN_STOLEN_BYTES).then_some(NextSegment::SecondHalfOf(largest))
    }

    /// Marks `next` taken and returns its segment's index. A second half becomes a
    /// new segment; the old one's connection stops at its new end (it reads `end`
    /// on every chunk).
    pub fn take(&mut self, next: NextSegment) -> usize {
        match next {
            NextSegment::Untaken(index) => {
                self.taken[index] = true;
                index
            }
            NextSegment::SecondHalfOf(largest) => {
                let segment = self.segments[largest];
                let middle = segment.next_byte() + segment.remaining() / 2;
                self.segments[largest].end = middle;
                self.segments.push(Segment {
                    start: middle,
                    end: segment.end,
                    done: 0,
                });
                self.taken.push(true);
                self.segments.len() - 1
            }
        }
    }

    /// Lets segment `index`, read from the whole-file answer, run on into the
    /// segment after it if no connection has taken that one (no slot was free), and
    /// returns its end. Stopping would cost a request for the next segment, and the
    /// connection itself: an answer left unread cannot be reused.
    pub fn run_on(&mut self, index: usize) -> u64 {
        let Layout { segments, taken } = self;
        let end = segments[index].end;
        let next = (0..segments.len()).find(|&next| {
            !taken[next] && segments[next].start == end && segments[next].remaining() > 0
        });
        if let Some(next) = next
            && segments[next].done == 0
        {
            taken[next] = true;
            segments[index].end = segments[next].end;
            // Left empty rather than removed: indexes of other segments stay valid.
            segments[next].end = segments[next].start;
        }
        segments[index].end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_split_only_when_large_enough() {
        let policy = SplitPolicy {
            max_segments: 4,
            min_segment_size: 100,
        };
        assert_eq!(plan_segments(150, policy), None);
        let two = plan_segments(200, policy).expect("split");
        assert_eq!(two.len(), 2);
        let four = plan_segments(1001, policy).expect("split");
        assert_eq!(four.len(), 4);
        assert_eq!(four[0].start, 0);
        assert_eq!(four[3].end, 1001);
        for pair in four.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "segments touch");
        }
        let off = SplitPolicy {
            max_segments: 1,
            ..policy
        };
        assert_eq!(plan_segments(1_000_000, off), None);
    }
}
