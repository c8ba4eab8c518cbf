//! How a large file is cut into segments, and which segment a free connection
//! takes next: one no connection has started, else the second half of what the
//! segment with the most left has not yet asked for, so one slow connection does
//! not hold the file back while the others sit idle.
//!
//! A range asked for is never cut short: a server sends ahead of its reader (its
//! socket buffers, a proxy's, a throttle's burst: megabytes), and all of it is sent
//! for nothing when the reader stops early. So a segment is asked for in closed
//! ranges of at most [`Layout::request_bytes`], and a free connection takes only
//! bytes no running request covers.

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
    /// Where the range the segment's running request asks for ends (at most its
    /// `end`); 0 when no ranged request runs. Bytes before it are not handed out.
    pub asked: Vec<u64>,
    /// The most one request asks for: half a planned segment. One more request per
    /// segment (a round trip on a kept-alive connection), and the second half of
    /// every segment can be handed to a free connection without cutting a request.
    pub request_bytes: u64,
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
        let largest = segments
            .iter()
            .map(|segment| segment.end - segment.start)
            .max();
        Layout {
            taken: vec![false; segments.len()],
            asked: vec![0; segments.len()],
            request_bytes: largest.unwrap_or(0).div_ceil(2).max(MIN_STOLEN_BYTES),
            segments,
        }
    }

    /// Where segment `index` may be cut for another connection: past its next byte
    /// and past the range its running request asks for.
    fn free_from(&self, index: usize) -> u64 {
        let segment = &self.segments[index];
        segment.next_byte().max(self.asked[index]).min(segment.end)
    }

    /// Marks the range of the request segment `index` is about to send and returns
    /// it, `(first, last + 1)`: from its next byte, at most [`Layout::request_bytes`].
    pub fn ask(&mut self, index: usize) -> (u64, u64) {
        let segment = self.segments[index];
        let first = segment.next_byte();
        let end = segment.end.min(first.saturating_add(self.request_bytes));
        self.asked[index] = end;
        (first, end)
    }

    /// Segment `index`'s request ended (read to its end or failed): nothing of it
    /// is held back from other connections any more.
    pub fn answered(&mut self, index: usize) {
        self.asked[index] = 0;
    }

    /// What a free connection would take next: a segment no connection has taken,
    /// else the second half of the unasked part of the segment with the most left
    /// unasked, if each half is worth a request; `None` when nothing is. The one
    /// rule for starting a connection and for giving one work.
    pub fn next(&self) -> Option<NextSegment> {
        if let Some(index) = (0..self.segments.len())
            .find(|&index| !self.taken[index] && self.segments[index].remaining() > 0)
        {
            return Some(NextSegment::Untaken(index));
        }
        let (largest, free) = (0..self.segments.len())
            .map(|index| (index, self.segments[index].end - self.free_from(index)))
            .max_by_key(|&(_, free)| free)?;
        (free >= 2 * MIN_STOLEN_BYTES).then_some(NextSegment::SecondHalfOf(largest))
    }

    /// Marks `next` taken and returns its segment's index. A second half becomes a
    /// new segment; the old one's connection asks for no more than its new end (no
    /// running request reaches past it, see [`Layout::ask`]).
    pub fn take(&mut self, next: NextSegment) -> usize {
        match next {
            NextSegment::Untaken(index) => {
                self.taken[index] = true;
                index
            }
            NextSegment::SecondHalfOf(largest) => {
                let segment = self.segments[largest];
                let free = self.free_from(largest);
                let middle = free + (segment.end - free) / 2;
                self.segments[largest].end = middle;
                self.segments.push(Segment {
                    start: middle,
                    end: segment.end,
                    done: 0,
                });
                self.taken.push(true);
                self.asked.push(0);
                self.segments.len() - 1
            }
        }
    }

    /// Lets segment `index`, read from the whole-file answer, run on into the
    /// segment after it if no connection has taken that one (no slot was free), and
    /// returns its end. Stopping would cost a request for the next segment, and the
    /// connection itself: an answer left unread cannot be reused.
    pub fn run_on(&mut self, index: usize) -> u64 {
        let Layout {
            segments, taken, ..
        } = self;
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

    #[test]
    fn a_free_connection_takes_only_bytes_no_running_request_asked_for() {
        const MIB: u64 = 1024 * 1024;
        let mut layout = Layout::new(vec![Segment {
            start: 0,
            end: 16 * MIB,
            done: 0,
        }]);
        assert_eq!(layout.take(layout.next().expect("untaken")), 0);
        // The first request asks for half the segment: the other half is free.
        assert_eq!(layout.ask(0), (0, 8 * MIB));
        let half = layout.take(layout.next().expect("a half to share"));
        assert_eq!(
            layout.segments[half].start,
            12 * MIB,
            "half of what is free"
        );
        assert_eq!(layout.segments[0].end, 12 * MIB);
        assert_eq!(layout.ask(half), (12 * MIB, 16 * MIB));
        // What is left free (8..12 MiB) is shared again, halved each time while
        // both halves are worth a request: the running request (0..8 MiB) is never cut.
        for (start, end) in [(10, 12), (9, 10)] {
            let share = layout.take(layout.next().expect("a share"));
            assert_eq!(layout.ask(share), (start * MIB, end * MIB));
        }
        assert!(layout.next().is_none(), "the running requests are not cut");
        // Once it is answered, the segment asks for the rest up to its new end.
        layout.segments[0].done = 8 * MIB;
        layout.answered(0);
        assert_eq!(layout.ask(0), (8 * MIB, 9 * MIB));
    }
}
