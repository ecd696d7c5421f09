//! Naver Pay results: `pay_complete` (`payment.completed`: the user finished paying through a
//! `PAY` button) and `pay_confirm` (`payment.confirmed`: the outcome of the approval).

use omnigate_connector_core::EventType;
use serde::Serialize;
use serde_json::{Map, Value};

use super::detail::to_map;
use super::fields::{object, text_at};
use super::{Envelope, Mapped, Outcome};

/// `payment.completed` / `payment.confirmed` detail. Exactly one of the two results is set.
#[derive(Debug, Serialize)]
pub struct PaymentDetail {
    /// `options.paymentResult` of `pay_complete`.
    #[serde(rename = "paymentResult", skip_serializing_if = "Option::is_none")]
    pub payment_result: Option<PaymentResult>,
    /// `options.paymentConfirmResult` of `pay_confirm`.
    #[serde(
        rename = "paymentConfirmResult",
        skip_serializing_if = "Option::is_none"
    )]
    pub payment_confirm_result: Option<PaymentResult>,
    /// `true` for code `Success`, `false` for `Fail`, absent for anything else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
}

/// A Naver Pay result.
#[derive(Debug, Serialize)]
pub struct PaymentResult {
    /// `Success` or `Fail` (the Naver Pay window's `resultCode`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The failure reason, e.g. `OwnerAuthFail`, `잔액 부족`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Naver Pay's payment id: what cancellations in 네이버페이센터 or the cancel API use.
    #[serde(rename = "paymentId", skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// The key the business put on the `PAY` button.
    #[serde(rename = "merchantPayKey", skip_serializing_if = "Option::is_none")]
    pub merchant_pay_key: Option<String>,
    #[serde(rename = "merchantUserKey", skip_serializing_if = "Option::is_none")]
    pub merchant_user_key: Option<String>,
    /// The `detail` of Naver Pay's approve API response, verbatim. The docs spell the key
    /// `deatil`; both spellings are read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
}

pub fn complete(env: &Envelope<'_>) -> Outcome {
    let Some(result) = object(env.options, "paymentResult") else {
        return Err("pay_complete event without options.paymentResult".into());
    };
    let result = read(result);
    let detail = PaymentDetail {
        success: success(&result),
        payment_result: Some(result),
        payment_confirm_result: None,
    };
    Ok(Mapped::new(EventType::PaymentCompleted, to_map(&detail)))
}

pub fn confirm(env: &Envelope<'_>) -> Outcome {
    let Some(result) = object(env.options, "paymentConfirmResult") else {
        return Err("pay_confirm event without options.paymentConfirmResult".into());
    };
    let result = read(result);
    let detail = PaymentDetail {
        success: success(&result),
        payment_result: None,
        payment_confirm_result: Some(result),
    };
    Ok(Mapped::new(EventType::PaymentConfirmed, to_map(&detail)))
}

fn read(r: &Map<String, Value>) -> PaymentResult {
    PaymentResult {
        code: text_at(r, "code"),
        message: text_at(r, "message"),
        payment_id: text_at(r, "paymentId"),
        merchant_pay_key: text_at(r, "merchantPayKey"),
        merchant_user_key: text_at(r, "merchantUserKey"),
        detail: ["detail", "deatil"]
            .into_iter()
            .find_map(|k| r.get(k).filter(|v| !v.is_null()))
            .cloned(),
    }
}

fn success(result: &PaymentResult) -> Option<bool> {
    match result.code.as_deref() {
        Some(c) if c.eq_ignore_ascii_case("success") => Some(true),
        Some(c) if c.eq_ignore_ascii_case("fail") => Some(false),
        _ => None,
    }
}
