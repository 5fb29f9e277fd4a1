//! Stopping a decode that nobody waits for any more (a request that timed
//! out): the decoder reads its input through [`CancellableReader`], which
//! fails the next read once the [`Cancel`] is set, so a long PNG, GIF,
//! WebP, TIFF or BMP decode stops within one slice of input.

use std::io::{BufRead, Cursor, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Set once, from any thread, to stop the decodes that hold a clone.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A token not yet set.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Stops every decode holding this token at its next read.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The most a decoder gets per read: the flag is checked this often.
const SLICE: usize = 64 << 10;

/// An in-memory input whose reads fail once its token is set.
pub(crate) struct CancellableReader<'a> {
    inner: Cursor<&'a [u8]>,
    cancel: Cancel,
}

impl<'a> CancellableReader<'a> {
    pub(crate) fn new(bytes: &'a [u8], cancel: Cancel) -> CancellableReader<'a> {
        CancellableReader {
            inner: Cursor::new(bytes),
            cancel,
        }
    }

    fn check(&self) -> std::io::Result<()> {
        if self.cancel.is_cancelled() {
            Err(std::io::Error::other(CANCELLED))
        } else {
            Ok(())
        }
    }
}

/// The error text a cancelled read carries (see [`crate::ErrorKind::Cancelled`]).
pub(crate) const CANCELLED: &str = "the decode was cancelled";

impl Read for CancellableReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.check()?;
        let n = buf.len().min(SLICE);
        self.inner.read(&mut buf[..n])
    }
}

impl BufRead for CancellableReader<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.check()?;
        let available = self.inner.fill_buf()?;
        Ok(&available[..available.len().min(SLICE)])
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
    }
}

impl Seek for CancellableReader<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DecoderBuilder, ErrorKind};

    /// A PNG that inflates to `side`² grey pixels.
    fn png(side: u32) -> Vec<u8> {
        let image = image::GrayImage::from_fn(side, side, |x, y| image::Luma([(x ^ y) as u8]));
        let mut out = Cursor::new(Vec::new());
        image
            .write_to(&mut out, image::ImageFormat::Png)
            .expect("encodes");
        out.into_inner()
    }

    #[test]
    fn a_cancelled_reader_reads_nothing_more() {
        let cancel = Cancel::new();
        let mut reader = CancellableReader::new(&[1, 2, 3, 4], cancel.clone());
        let mut buf = [0u8; 2];
        assert_eq!(reader.read(&mut buf).expect("reads"), 2);
        cancel.cancel();
        assert!(reader.read(&mut buf).is_err());
        assert!(reader.fill_buf().is_err());
    }

    #[test]
    fn a_cancelled_decode_stops_with_its_own_error() {
        let bytes = png(2_000);
        let cancel = Cancel::new();
        let decoder = DecoderBuilder::new().cancel(cancel.clone()).build();
        assert!(decoder.decode(&bytes).is_ok());
        cancel.cancel();
        let error = decoder.decode(&bytes).expect_err("cancelled");
        assert!(matches!(error.kind(), ErrorKind::Cancelled), "{error}");
        assert_eq!(error.code(), "cancelled");
    }

    #[test]
    fn a_decode_under_way_stops_when_cancelled_from_another_thread() {
        let bytes = png(6_000);
        let cancel = Cancel::new();
        let decoder = DecoderBuilder::new().cancel(cancel.clone()).build();
        let running = std::thread::spawn(move || decoder.decode(&bytes).map(|_| ()));
        cancel.cancel();
        let outcome = running.join().expect("no panic");
        // Either it had not read past the header yet or it stopped
        // mid-way: never a decode error or a finished image.
        let error = outcome.expect_err("cancelled");
        assert!(matches!(error.kind(), ErrorKind::Cancelled), "{error}");
    }
}
