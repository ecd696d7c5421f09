//! `profile` (`contact.updated`): the answer to a Profile API request, which Naver delivers
//! through the webhook, and the user's later withdrawal of that consent.
//!
//! The nickname and cell phone number fill the contact; the address has no contact field and is
//! kept in the detail. A `WITHDRAW` result obliges the business to delete what it stored, so the
//! fields to erase are spelled out in omnigate's terms as well as Naver's.

use omnigate_connector_core::EventType;
use serde::Serialize;

use super::detail::to_map;
use super::fields::{object, strings_at, text_at};
use super::{Envelope, Mapped, Outcome};

/// `contact.updated` detail.
#[derive(Debug, Serialize)]
pub struct ProfileDetail {
    /// `SUCCESS` (data attached), `DISAGREE` (the user refused), `CANCEL` (cancelled or no data
    /// on file) or `WITHDRAW` (consent withdrawn: delete the data), as Naver sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// For `WITHDRAW`: the Naver fields whose consent was withdrawn (`nickname`, `cellphone`,
    /// `address`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawals: Option<Vec<String>>,
    /// For `WITHDRAW`: what the helpdesk must delete, in omnigate's terms: `name` and `phone`
    /// (contact fields), `address` (this detail's address); unknown Naver names verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erase_fields: Option<Vec<String>>,
}

/// A road-name address in 행정안전부 (juso.go.kr) naming.
#[derive(Debug, Serialize)]
pub struct Address {
    /// Road-name address.
    #[serde(rename = "roadAddr", skip_serializing_if = "Option::is_none")]
    pub road_addr: Option<String>,
    /// Detail (building, unit); sometimes absent.
    #[serde(rename = "detAddr", skip_serializing_if = "Option::is_none")]
    pub det_addr: Option<String>,
    /// Postal code.
    #[serde(rename = "zipNo", skip_serializing_if = "Option::is_none")]
    pub zip_no: Option<String>,
    /// Road-name management number.
    #[serde(rename = "rnMgtSn", skip_serializing_if = "Option::is_none")]
    pub rn_mgt_sn: Option<String>,
    /// Coordinates, as the decimal strings Naver sends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<String>,
}

pub fn profile(env: &Envelope<'_>) -> Outcome {
    let o = env.options;
    let result = text_at(o, "result");
    let name = text_at(o, "nickname");
    let phone = text_at(o, "cellphone");
    let address = object(o, "address").map(|a| Address {
        road_addr: text_at(a, "roadAddr"),
        det_addr: text_at(a, "detAddr"),
        zip_no: text_at(a, "zipNo"),
        rn_mgt_sn: text_at(a, "rnMgtSn"),
        latitude: text_at(a, "latitude"),
        longitude: text_at(a, "longitude"),
    });
    let withdrawals = strings_at(o, "withdrawals");
    if result.is_none() && name.is_none() && phone.is_none() && address.is_none() {
        return Err("profile event without options.result or any profile field".into());
    }
    let erase_fields = withdrawals
        .as_ref()
        .map(|fields| fields.iter().map(|f| erase_field(f)).collect());
    let detail = ProfileDetail {
        result,
        address,
        withdrawals,
        erase_fields,
    };
    let mut mapped = Mapped::new(EventType::ContactUpdated, to_map(&detail));
    mapped.contact_name = name;
    mapped.contact_phone = phone;
    Ok(mapped)
}

fn erase_field(naver: &str) -> String {
    match naver {
        "nickname" => "name",
        "cellphone" => "phone",
        other => other,
    }
    .to_string()
}
