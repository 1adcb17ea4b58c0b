//! RFC 6962 §2.1 hashing: leaves and interior nodes are hashed with distinct one-byte prefixes
//! (0x00 and 0x01) so that a leaf can never be passed off as an interior node (second-preimage
//! resistance of the tree), and the hash of an empty tree is SHA-256 of the empty string.

use std::fmt;

use aws_lc_rs::digest::{Context, SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A SHA-256 output: a leaf hash, an interior node or a tree root.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Hash)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        hex::decode(text).ok().and_then(|b| Self::from_slice(&b))
    }

    /// Standard base64 with padding, as in C2SP checkpoints.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    pub fn from_base64(text: &str) -> Option<Self> {
        STANDARD.decode(text).ok().and_then(|b| Self::from_slice(&b))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

fn finish(ctx: Context) -> Hash {
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    Hash(out)
}

/// `SHA-256(0x00 ‖ entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut ctx = Context::new(&SHA256);
    ctx.update(&[0x00]);
    ctx.update(entry);
    finish(ctx)
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 0x01;
    buf[1..33].copy_from_slice(&left.0);
    buf[33..].copy_from_slice(&right.0);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, &buf).as_ref());
    Hash(out)
}

/// The root of the empty tree: `SHA-256()`.
pub fn empty_root() -> Hash {
    finish(Context::new(&SHA256))
}
