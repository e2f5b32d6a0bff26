//! Microsoft Entra ID credentials (feature `identity`), through `azure_identity`.

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use remote_store_core::{Error, Result};

use crate::config::EntraCredential;

/// The `azure_identity` credential for `credential`.
#[cfg(feature = "identity")]
pub(crate) fn token_credential(credential: &EntraCredential) -> Result<Arc<dyn TokenCredential>> {
    use azure_identity::{
        ClientSecretCredential, DeveloperToolsCredential, ManagedIdentityCredential,
        ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
    };
    let built: azure_core::Result<Arc<dyn TokenCredential>> = match credential {
        EntraCredential::DeveloperTools => {
            DeveloperToolsCredential::new(None).map(|c| c as Arc<dyn TokenCredential>)
        }
        EntraCredential::ManagedIdentity { client_id } => {
            ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                user_assigned_id: client_id.clone().map(UserAssignedId::ClientId),
                ..Default::default()
            }))
            .map(|c| c as Arc<dyn TokenCredential>)
        }
        EntraCredential::WorkloadIdentity => {
            WorkloadIdentityCredential::new(None).map(|c| c as Arc<dyn TokenCredential>)
        }
        EntraCredential::ClientSecret {
            tenant_id,
            client_id,
            client_secret,
        } => ClientSecretCredential::new(
            tenant_id,
            client_id.clone(),
            client_secret.expose().to_owned().into(),
            None,
        )
        .map(|c| c as Arc<dyn TokenCredential>),
    };
    built.map_err(|e| {
        Error::invalid_argument("azure: cannot set up the Entra ID credential").with_source(e)
    })
}

/// Without the `identity` feature, Entra ID is refused with a clear message.
#[cfg(not(feature = "identity"))]
pub(crate) fn token_credential(_credential: &EntraCredential) -> Result<Arc<dyn TokenCredential>> {
    Err(Error::invalid_argument(
        "azure: Entra ID auth needs the `identity` cargo feature of remote-store-azure",
    ))
}
