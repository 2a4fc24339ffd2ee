//! The FILE_TRANSFER_PROTOCOL payload (251 bytes): a 12-byte header and up to 239 bytes of data,
//! as the MAVLink FTP service describes it (mavlink.io/en/services/ftp.html).

/// Bytes of the header in front of the data.
pub const HEADER_BYTES: usize = 12;
/// Bytes of the whole payload field.
pub const PAYLOAD_BYTES: usize = 251;
/// Most data bytes one message carries.
pub const MAX_DATA_BYTES: usize = PAYLOAD_BYTES - HEADER_BYTES;

/// Request and reply opcodes (MAV_FTP_OPCODE).
pub mod opcode {
    /// Ignored, always acknowledged.
    pub const NONE: u8 = 0;
    /// Closes one session.
    pub const TERMINATE_SESSION: u8 = 1;
    /// Closes every session (here: every session of the sender).
    pub const RESET_SESSIONS: u8 = 2;
    /// Lists a directory from an entry index.
    pub const LIST_DIRECTORY: u8 = 3;
    /// Opens a file for reading; the reply carries the session and the size.
    pub const OPEN_FILE_RO: u8 = 4;
    /// Reads `size` bytes at `offset` of a session.
    pub const READ_FILE: u8 = 5;
    /// Creates a file.
    pub const CREATE_FILE: u8 = 6;
    /// Writes into a session.
    pub const WRITE_FILE: u8 = 7;
    /// Removes a file.
    pub const REMOVE_FILE: u8 = 8;
    /// Creates a directory.
    pub const CREATE_DIRECTORY: u8 = 9;
    /// Removes a directory.
    pub const REMOVE_DIRECTORY: u8 = 10;
    /// Opens a file for writing.
    pub const OPEN_FILE_WO: u8 = 11;
    /// Truncates a file.
    pub const TRUNCATE_FILE: u8 = 12;
    /// Renames a file.
    pub const RENAME: u8 = 13;
    /// CRC32 of a file.
    pub const CALC_FILE_CRC32: u8 = 14;
    /// Reads a session from `offset` as a series of replies.
    pub const BURST_READ_FILE: u8 = 15;
    /// Reply: success.
    pub const ACK: u8 = 128;
    /// Reply: failure, `data[0]` = the error code.
    pub const NAK: u8 = 129;
}

/// Error codes of a NAK (MAV_FTP_ERR), in `data[0]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum NakCode {
    /// Unknown failure.
    Fail = 1,
    /// The payload `size` is invalid.
    InvalidDataSize = 3,
    /// The session is not open.
    InvalidSession = 4,
    /// Every session is in use.
    NoSessionsAvailable = 5,
    /// Offset past the end of the file or the directory listing.
    Eof = 6,
    /// Unknown opcode.
    UnknownCommand = 7,
    /// The file or directory is write protected.
    FileProtected = 9,
    /// The file or directory does not exist.
    FileNotFound = 10,
}

/// One decoded payload (request or reply).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Payload {
    /// Sequence number.
    pub seq: u16,
    /// Session id.
    pub session: u8,
    /// Opcode ([`opcode`]).
    pub opcode: u8,
    /// Bytes of `data` that count (the field, not clamped).
    pub size: u8,
    /// In a reply: the opcode of the request.
    pub req_opcode: u8,
    /// In a burst reply: 1 on the last message of the burst.
    pub burst_complete: u8,
    /// Offset into the file (or entry index of a listing).
    pub offset: u32,
    /// The data bytes (all 239; `size` says how many count).
    pub data: [u8; MAX_DATA_BYTES],
}

impl Payload {
    /// A client's request: `data` fills the data field from its start (bytes beyond the field's
    /// 239 are cut); `size` is written as given, so a request may claim a size it does not hold.
    pub fn request(seq: u16, session: u8, opcode: u8, size: u8, offset: u32, data: &[u8]) -> Self {
        let mut p = Self {
            seq,
            session,
            opcode,
            size,
            req_opcode: 0,
            burst_complete: 0,
            offset,
            data: [0; MAX_DATA_BYTES],
        };
        let n = data.len().min(MAX_DATA_BYTES);
        p.data[..n].copy_from_slice(&data[..n]);
        p
    }

    /// Decodes the payload field of a FILE_TRANSFER_PROTOCOL message.
    pub fn decode(raw: &[u8; PAYLOAD_BYTES]) -> Self {
        let mut data = [0u8; MAX_DATA_BYTES];
        data.copy_from_slice(&raw[HEADER_BYTES..]);
        Self {
            seq: u16::from_le_bytes([raw[0], raw[1]]),
            session: raw[2],
            opcode: raw[3],
            size: raw[4],
            req_opcode: raw[5],
            burst_complete: raw[6],
            offset: u32::from_le_bytes([raw[8], raw[9], raw[10], raw[11]]),
            data,
        }
    }

    /// Encodes it into the payload field (the padding byte is 0).
    pub fn encode(&self) -> [u8; PAYLOAD_BYTES] {
        let mut raw = [0u8; PAYLOAD_BYTES];
        raw[..2].copy_from_slice(&self.seq.to_le_bytes());
        raw[2] = self.session;
        raw[3] = self.opcode;
        raw[4] = self.size;
        raw[5] = self.req_opcode;
        raw[6] = self.burst_complete;
        raw[8..12].copy_from_slice(&self.offset.to_le_bytes());
        raw[HEADER_BYTES..].copy_from_slice(&self.data);
        raw
    }

    /// The data bytes that count (`size`, at most 239).
    pub fn data(&self) -> &[u8] {
        &self.data[..usize::from(self.size).min(MAX_DATA_BYTES)]
    }

    /// The path in the data: up to `size` bytes, cut at the first NUL (clients differ on
    /// whether they count the terminator). `None` when it is not UTF-8.
    pub fn path(&self) -> Option<&str> {
        let d = self.data();
        let end = d.iter().position(|b| *b == 0).unwrap_or(d.len());
        std::str::from_utf8(&d[..end]).ok()
    }

    /// A reply to `req`: ACK or NAK, sequence number one past the request's, same session and
    /// offset, no data yet.
    pub fn reply_to(req: &Self, opcode: u8) -> Self {
        Self {
            seq: req.seq.wrapping_add(1),
            session: req.session,
            opcode,
            size: 0,
            req_opcode: req.opcode,
            burst_complete: 0,
            offset: req.offset,
            data: [0u8; MAX_DATA_BYTES],
        }
    }

    /// An ACK to `req` carrying `data` (at most 239 bytes are taken).
    pub fn ack(req: &Self, data: &[u8]) -> Self {
        let mut p = Self::reply_to(req, opcode::ACK);
        let n = data.len().min(MAX_DATA_BYTES);
        p.data[..n].copy_from_slice(&data[..n]);
        p.size = n as u8;
        p
    }

    /// A NAK to `req` with `code` (size 1).
    pub fn nak(req: &Self, code: NakCode) -> Self {
        let mut p = Self::reply_to(req, opcode::NAK);
        p.data[0] = code as u8;
        p.size = 1;
        p
    }
}
