//! Property tests against `ct-merkle`, an RFC 6962 implementation that shares no code with
//! ours: same roots for every size, and each side's proofs verify with the other's code.

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use obereg_journal::tree::{consistency_proof, inclusion_proof, verify_consistency, verify_inclusion};
use obereg_journal::{Hash, MemoryLog, leaf_hash};
use proptest::prelude::*;
use sha2::Sha256;

fn leaves(n: usize, salt: u8) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("entry {i} {salt}").into_bytes()).collect()
}

fn both(items: &[Vec<u8>]) -> (MemoryLog, MemoryBackedTree<Sha256, Vec<u8>>) {
    let mut ours = MemoryLog::new();
    let mut theirs = MemoryBackedTree::new();
    for item in items {
        ours.push(item);
        theirs.push(item.clone());
    }
    (ours, theirs)
}

fn to_hash(bytes: &[u8]) -> Hash {
    Hash::from_slice(bytes).unwrap()
}

fn their_root(root: &Hash, size: u64) -> RootHash<Sha256> {
    RootHash::new((*root.0.as_slice()).try_into().unwrap(), size)
}

fn digests(proof: &[Hash]) -> Vec<ct_merkle::digest::Output<Sha256>> {
    proof.iter().map(|h| (*h.0.as_slice()).try_into().unwrap()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn roots_and_inclusion_proofs_agree(n in 1usize..300, pick in any::<prop::sample::Index>(), salt in any::<u8>()) {
        let items = leaves(n, salt);
        let (ours, theirs) = both(&items);
        let size = n as u64;
        prop_assert_eq!(ours.root(), to_hash(theirs.root().as_bytes()));
        let index = pick.index(n);

        // Ours verified by theirs.
        let proof = inclusion_proof(&ours, index as u64, size).unwrap();
        let as_theirs = InclusionProof::<Sha256>::from_digests(digests(&proof).iter());
        prop_assert!(theirs.root().verify_inclusion(&items[index], index as u64, &as_theirs).is_ok());

        // Theirs verified by ours, and byte-identical.
        let their_proof = theirs.prove_inclusion(index);
        let decoded: Vec<Hash> = their_proof.as_bytes().chunks(32).map(to_hash).collect();
        prop_assert_eq!(&decoded, &proof);
        prop_assert!(verify_inclusion(&leaf_hash(&items[index]), index as u64, size, &decoded, &ours.root()).is_ok());
    }

    #[test]
    fn consistency_proofs_agree(n in 2usize..300, pick in any::<prop::sample::Index>(), salt in any::<u8>()) {
        let items = leaves(n, salt);
        let (ours, theirs) = both(&items);
        let to = n as u64;
        let from = 1 + pick.index(n - 1) as u64; // 1..n-1
        let old_root = obereg_journal::tree::root_at(&ours, from).unwrap();
        let (old_ours, old_theirs) = both(&items[..from as usize]);
        prop_assert_eq!(old_root, old_ours.root());
        prop_assert_eq!(old_root, to_hash(old_theirs.root().as_bytes()));

        let proof = consistency_proof(&ours, from, to).unwrap();
        let as_theirs = ConsistencyProof::<Sha256>::from_digests(digests(&proof).iter());
        prop_assert!(theirs.root().verify_consistency(&their_root(&old_root, from), &as_theirs).is_ok());

        let their_proof = theirs.prove_consistency((to - from) as usize);
        let decoded: Vec<Hash> = their_proof.as_bytes().chunks(32).map(to_hash).collect();
        prop_assert_eq!(&decoded, &proof);
        prop_assert!(verify_consistency(from, to, &old_root, &ours.root(), &decoded).is_ok());
    }

    #[test]
    fn a_changed_leaf_fails_both_verifiers(n in 2usize..200, pick in any::<prop::sample::Index>()) {
        let items = leaves(n, 7);
        let (ours, theirs) = both(&items);
        let index = pick.index(n);
        let proof = inclusion_proof(&ours, index as u64, n as u64).unwrap();
        let forged = b"forged".to_vec();
        prop_assert!(verify_inclusion(&leaf_hash(&forged), index as u64, n as u64, &proof, &ours.root()).is_err());
        let as_theirs = InclusionProof::<Sha256>::from_digests(digests(&proof).iter());
        prop_assert!(theirs.root().verify_inclusion(&forged, index as u64, &as_theirs).is_err());
    }
}

#[test]
fn a_larger_tree_agrees_at_every_power_of_two_boundary() {
    let items = leaves(4100, 1);
    let mut ours = MemoryLog::new();
    let mut theirs: MemoryBackedTree<Sha256, Vec<u8>> = MemoryBackedTree::new();
    for (i, item) in items.iter().enumerate() {
        ours.push(item);
        theirs.push(item.clone());
        let size = i + 1;
        if size.is_power_of_two() || (size + 1).is_power_of_two() || size % 1000 == 0 {
            assert_eq!(ours.root(), to_hash(theirs.root().as_bytes()), "size {size}");
        }
    }
}
