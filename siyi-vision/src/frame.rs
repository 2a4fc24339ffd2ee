//! Frames (8-bit luma with a stride), boxes and the errors of the tracker's entry points.

use std::fmt;

/// An 8-bit luma (grey) image borrowed from the caller: `height` rows of `width` pixels, row `y`
/// starting at byte `y * stride` of `data`. Built by [`Frame::new`], which checks the sizes, so a
/// `Frame` never reads outside `data`.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    data: &'a [u8],
    width: usize,
    height: usize,
    stride: usize,
}

impl<'a> Frame<'a> {
    /// The largest width or height accepted, in pixels (8K video is 7680 × 4320).
    pub const MAX_SIDE_PX: usize = 16_384;

    /// A frame over `data`; an error when a side is 0 or above [`Frame::MAX_SIDE_PX`], when
    /// `stride < width`, or when `data` is shorter than `stride * (height - 1) + width` bytes.
    pub fn new(
        data: &'a [u8],
        width: usize,
        height: usize,
        stride: usize,
    ) -> Result<Self, FrameError> {
        if width == 0 || height == 0 || width > Self::MAX_SIDE_PX || height > Self::MAX_SIDE_PX {
            return Err(FrameError::BadSize { width, height });
        }
        if stride < width {
            return Err(FrameError::BadStride { width, stride });
        }
        let needed = stride
            .checked_mul(height - 1)
            .and_then(|n| n.checked_add(width))
            .ok_or(FrameError::BadStride { width, stride })?;
        if data.len() < needed {
            return Err(FrameError::TooShort {
                needed,
                got: data.len(),
            });
        }
        Ok(Self {
            data,
            width,
            height,
            stride,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Row `y` (`0..height`) of the frame, `width` pixels; empty when `y` is out of range.
    #[inline]
    pub(crate) fn row(&self, y: usize) -> &'a [u8] {
        let start = y.saturating_mul(self.stride);
        self.data
            .get(start..start.saturating_add(self.width))
            .unwrap_or(&[])
    }

    /// The pixel at column `x`, row `y`, both clamped into the frame (edge pixels repeat outside).
    #[inline]
    pub(crate) fn at_clamped(&self, x: isize, y: isize) -> u8 {
        let xc = x.clamp(0, self.width as isize - 1) as usize;
        let yc = y.clamp(0, self.height as isize - 1) as usize;
        // In range by construction (`new` checked `data.len()`); `get` keeps it panic-free anyway.
        self.data.get(yc * self.stride + xc).copied().unwrap_or(0)
    }
}

/// An axis-aligned box in pixels of the frame: top-left corner (`x`, `y`), width `w`, height `h`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    /// Left edge, pixels from the frame's left.
    pub x: f32,
    /// Top edge, pixels from the frame's top.
    pub y: f32,
    /// Width in pixels.
    pub w: f32,
    /// Height in pixels.
    pub h: f32,
}

impl BoundingBox {
    /// A box from its top-left corner and size, in pixels.
    pub fn new(x: f32, y: f32, w: f32, h: f32) -> Self {
        Self { x, y, w, h }
    }

    /// The centre (x, y) in pixels.
    pub fn center(&self) -> (f32, f32) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }

    /// Checks a start box against a `width` × `height` frame: finite, positive, at least
    /// [`crate::TrackerConfig::min_side_px`] on each side, no larger than the frame and lying
    /// inside it.
    pub(crate) fn check_start(
        &self,
        width: usize,
        height: usize,
        min_side_px: f32,
    ) -> Result<(), BoxError> {
        let Self { x, y, w, h } = *self;
        if !(x.is_finite() && y.is_finite() && w.is_finite() && h.is_finite()) {
            return Err(BoxError::NotFinite);
        }
        if w <= 0.0 || h <= 0.0 {
            return Err(BoxError::NotPositive { w, h });
        }
        if w < min_side_px || h < min_side_px {
            return Err(BoxError::TooSmall {
                w,
                h,
                min_px: min_side_px,
            });
        }
        let (fw, fh) = (width as f32, height as f32);
        if w > fw || h > fh {
            return Err(BoxError::LargerThanFrame {
                w,
                h,
                width,
                height,
            });
        }
        if x < 0.0 || y < 0.0 || x + w > fw || y + h > fh {
            return Err(BoxError::OutsideFrame {
                x,
                y,
                w,
                h,
                width,
                height,
            });
        }
        Ok(())
    }
}

/// A bad frame given to the tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// A side is 0 or above [`Frame::MAX_SIDE_PX`].
    BadSize {
        /// Width given, pixels.
        width: usize,
        /// Height given, pixels.
        height: usize,
    },
    /// The stride is below the width (or its product with the height overflows).
    BadStride {
        /// Width given, pixels.
        width: usize,
        /// Stride given, bytes.
        stride: usize,
    },
    /// The buffer is shorter than the sizes need.
    TooShort {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        got: usize,
    },
    /// The frame's size differs from the start frame's (the tracker keeps its state; start a new
    /// tracker for the new size).
    SizeChanged {
        /// Start frame (width, height).
        expected: (usize, usize),
        /// This frame (width, height).
        got: (usize, usize),
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadSize { width, height } => write!(
                f,
                "frame size {width}x{height} is not usable (each side 1..={} pixels)",
                Frame::MAX_SIDE_PX
            ),
            Self::BadStride { width, stride } => {
                write!(f, "frame stride {stride} is below the width {width}")
            }
            Self::TooShort { needed, got } => {
                write!(f, "frame buffer holds {got} bytes, the sizes need {needed}")
            }
            Self::SizeChanged { expected, got } => write!(
                f,
                "frame size changed from {}x{} to {}x{}",
                expected.0, expected.1, got.0, got.1
            ),
        }
    }
}

impl std::error::Error for FrameError {}

/// A bad start box (or start point).
#[derive(Debug, Clone, PartialEq)]
pub enum BoxError {
    /// A coordinate or size is NaN or infinite.
    NotFinite,
    /// Width or height is zero or negative.
    NotPositive {
        /// Width given.
        w: f32,
        /// Height given.
        h: f32,
    },
    /// A side is below the smallest trackable size.
    TooSmall {
        /// Width given.
        w: f32,
        /// Height given.
        h: f32,
        /// The smallest side accepted, pixels.
        min_px: f32,
    },
    /// The box is wider or taller than the frame.
    LargerThanFrame {
        /// Width given.
        w: f32,
        /// Height given.
        h: f32,
        /// Frame width.
        width: usize,
        /// Frame height.
        height: usize,
    },
    /// Part of the box lies outside the frame.
    OutsideFrame {
        /// Left edge given.
        x: f32,
        /// Top edge given.
        y: f32,
        /// Width given.
        w: f32,
        /// Height given.
        h: f32,
        /// Frame width.
        width: usize,
        /// Frame height.
        height: usize,
    },
    /// The start point lies outside the frame (or its radius is not positive and finite).
    PointOutsideFrame {
        /// Point x given.
        x: f32,
        /// Point y given.
        y: f32,
    },
}

impl fmt::Display for BoxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFinite => write!(f, "the box has a NaN or infinite coordinate"),
            Self::NotPositive { w, h } => write!(f, "the box size {w}x{h} is not positive"),
            Self::TooSmall { w, h, min_px } => {
                write!(
                    f,
                    "the box size {w}x{h} is below the smallest side of {min_px} pixels"
                )
            }
            Self::LargerThanFrame {
                w,
                h,
                width,
                height,
            } => {
                write!(
                    f,
                    "the box size {w}x{h} is larger than the {width}x{height} frame"
                )
            }
            Self::OutsideFrame {
                x,
                y,
                w,
                h,
                width,
                height,
            } => write!(
                f,
                "the box {x},{y},{w},{h} lies (partly) outside the {width}x{height} frame"
            ),
            Self::PointOutsideFrame { x, y } => write!(
                f,
                "the point {x},{y} lies outside the frame (or its radius is not a positive number)"
            ),
        }
    }
}

impl std::error::Error for BoxError {}

/// Why a tracker could not start.
#[derive(Debug, Clone, PartialEq)]
pub enum StartError {
    /// The start frame is bad.
    Frame(FrameError),
    /// The start box (or point) is bad.
    Box(BoxError),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Frame(e) => write!(f, "bad start frame: {e}"),
            Self::Box(e) => write!(f, "bad start box: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

impl From<FrameError> for StartError {
    fn from(e: FrameError) -> Self {
        Self::Frame(e)
    }
}

impl From<BoxError> for StartError {
    fn from(e: BoxError) -> Self {
        Self::Box(e)
    }
}
