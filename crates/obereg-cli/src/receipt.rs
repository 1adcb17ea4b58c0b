//! `obereg receipt verify FILE`: checks a signed consent receipt offline, without a
//! database or a server (see docs/consent.md for the format and how to check it with any
//! Ed25519 library).

use std::path::PathBuf;

use obereg_engine::receipt::verify_receipt;

use crate::Failure;

#[derive(Debug, clap::Subcommand)]
pub enum ReceiptCommand {
    /// Verify a receipt file: exit 0 and print the receipt when the signature holds, 1 when not
    Verify(VerifyArgs),
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The receipt file (JSON)
    pub file: PathBuf,
    /// The operator's published receipt key (standard base64, from `GET /v1/consent-receipts/key`)
    #[arg(long)]
    pub key: Option<String>,
}

pub fn run(command: &ReceiptCommand) -> Result<u8, Failure> {
    let ReceiptCommand::Verify(args) = command;
    let text = std::fs::read_to_string(&args.file).map_err(|e| Failure::usage(format!("{}: {e}", args.file.display())))?;
    match verify_receipt(&text, args.key.as_deref()) {
        Ok(receipt) => {
            println!("{}", serde_json::to_string_pretty(&receipt).unwrap_or_default());
            if args.key.is_none() {
                eprintln!(
                    "signature valid for the key in the file; pass --key with the operator's published key to check who signed / \
                     подпись верна для ключа из файла; укажите --key с опубликованным ключом оператора, чтобы проверить, кто подписал"
                );
            } else {
                eprintln!("signature valid / подпись верна");
            }
            Ok(0)
        }
        Err(e) => {
            eprintln!("{}: {} / {}", e.code, e.message.en, e.message.ru);
            Ok(1)
        }
    }
}
