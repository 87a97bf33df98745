//! Provider plugins: run any Terraform/OpenTofu provider executable and speak the plugin
//! protocol (5 or 6) to it over gRPC, in skel's terms (types, values, schemas).

pub mod proto {
    //! The generated protocol messages and clients.
    #![allow(clippy::all, missing_docs)]
    pub mod tfplugin5 {
        //! Protocol 5.
        tonic::include_proto!("tfplugin5");
    }
    pub mod tfplugin6 {
        //! Protocol 6.
        tonic::include_proto!("tfplugin6");
    }
    pub mod plugin {
        //! go-plugin's controller and stdio services.
        tonic::include_proto!("plugin");
    }
}

pub mod answer;
pub mod client;
pub mod cty;
pub mod error;
pub mod handshake;
mod lifetime;
pub mod provider;
pub mod schema;
mod tls;
mod wire;

pub use answer::{
    Applied, AttributePath, Diagnostic, Imported, PathStep, Planned, ReadState, Response, Severity,
};
pub use client::{fetch_schema, fetch_schema_named, PluginClient, TERRAFORM_VERSION};
pub use error::{PluginError, PluginId};
pub use handshake::StartOptions;
pub use provider::{PluginFactory, PluginProvider, Processes};
pub use schema::{schema_json, ConvertedSchema};
pub use tls::prepare;
