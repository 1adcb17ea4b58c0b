//! The RFC 6962 test vectors published with Certificate Transparency's reference code: eight
//! leaves, the root of every prefix, and sample inclusion and consistency proofs.

use obereg_journal::tree::{consistency_proof, inclusion_proof, verify_consistency, verify_inclusion};
use obereg_journal::{Hash, MemoryLog, ProofError, empty_root, leaf_hash};

use crate::h;

const LEAVES: [&str; 8] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn tree(n: usize) -> MemoryLog {
    let mut log = MemoryLog::new();
    for leaf in &LEAVES[..n] {
        log.push(&hex::decode(leaf).unwrap());
    }
    log
}

#[test]
fn empty_tree_root_is_sha256_of_nothing() {
    assert_eq!(empty_root(), h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    assert_eq!(MemoryLog::new().root(), empty_root());
}

#[test]
fn roots_of_every_prefix_match_the_published_ones() {
    for n in 1..=8 {
        let log = tree(n);
        assert_eq!(log.root(), h(ROOTS[n - 1]), "size {n}");
        assert_eq!(obereg_journal::tree::root_at(&tree(8), n as u64).unwrap(), h(ROOTS[n - 1]), "size {n} from the stored layout");
    }
}

#[test]
fn inclusion_proofs_match_the_published_ones() {
    let cases: [(u64, u64, &[&str]); 4] = [
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    let log = tree(8);
    for (index, size, expected) in cases {
        let expected: Vec<Hash> = expected.iter().map(|x| h(x)).collect();
        assert_eq!(inclusion_proof(&log, index, size).unwrap(), expected, "leaf {index} of {size}");
        let leaf = leaf_hash(&hex::decode(LEAVES[index as usize]).unwrap());
        verify_inclusion(&leaf, index, size, &expected, &h(ROOTS[size as usize - 1])).unwrap();
    }
}

#[test]
fn consistency_proofs_match_the_published_ones() {
    let cases: [(u64, u64, &[&str]); 4] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    let log = tree(8);
    for (from, to, expected) in cases {
        let expected: Vec<Hash> = expected.iter().map(|x| h(x)).collect();
        assert_eq!(consistency_proof(&log, from, to).unwrap(), expected, "{from} → {to}");
        verify_consistency(from, to, &h(ROOTS[from as usize - 1]), &h(ROOTS[to as usize - 1]), &expected).unwrap();
    }
}

#[test]
fn bad_proofs_and_bad_arguments_are_refused() {
    let log = tree(8);
    let root = log.root();
    let leaf = leaf_hash(&[]);
    let proof = inclusion_proof(&log, 0, 8).unwrap();
    assert_eq!(verify_inclusion(&leaf, 1, 8, &proof, &root), Err(ProofError::RootMismatch));
    assert_eq!(verify_inclusion(&leaf, 0, 8, &proof[..2], &root), Err(ProofError::WrongLength));
    let mut longer = proof.clone();
    longer.push(root);
    assert_eq!(verify_inclusion(&leaf, 0, 8, &longer, &root), Err(ProofError::WrongLength));
    assert_eq!(verify_inclusion(&leaf, 8, 8, &proof, &root), Err(ProofError::IndexOutOfRange { index: 8, size: 8 }));
    assert_eq!(inclusion_proof(&log, 9, 8), Err(ProofError::IndexOutOfRange { index: 9, size: 8 }));
    assert_eq!(consistency_proof(&log, 5, 4), Err(ProofError::SizesReversed { from: 5, to: 4 }));
    // A proof asked of sizes the store does not have names the missing node.
    assert!(matches!(inclusion_proof(&log, 0, 16), Err(ProofError::MissingNode { .. })));
    let c = consistency_proof(&log, 3, 8).unwrap();
    assert_eq!(verify_consistency(3, 8, &h(ROOTS[3]), &root, &c), Err(ProofError::RootMismatch));
    assert_eq!(verify_consistency(3, 3, &h(ROOTS[2]), &h(ROOTS[3]), &[]), Err(ProofError::RootMismatch));
}
