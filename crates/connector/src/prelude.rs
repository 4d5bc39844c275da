//! What a connector's code names, in one import: `use deskpulse_connector::prelude::*;`.

pub use crate::auth::{
    ANDROID_PUBLISHER_SCOPE, AppStoreConnectKey, Auth, ClientAuth, ClientCredentials,
    GoogleServiceAccount, RefreshToken, TokenAuth,
};
pub use crate::http::{HttpClient, HttpSettings, RetryPolicy};
pub use crate::paginate::{
    CursorPage, CursorPos, CursorStream, Keep, LinkedPage, Mapping, More, NextUrlStream,
    NumberedPage, PageNumberStream, PageRequest, Stall, TimeWindowStream, WindowPage, WindowPos,
    cursor_stream, failed, link_next, next_url_stream, page_number_stream, time_window_stream,
};
pub use crate::ratelimit::{RateBudget, RateBudgets};
pub use crate::registry::{ConnectorFactory, ConnectorKind, HttpConnector, Opened};
pub use crate::settings::{StartDate, present, present_secret};
pub use crate::{
    Batch, BatchStream, Checkpoint, CheckpointExt, Clock, Connector, ConnectorError, KpiLimit,
    Record, Secret, StreamSpec,
};
pub use crate::{build_from, http_client_field, one_page, page_field};
pub use deskpulse_model::{
    InteractionKind, RatingSnapshot, Review, ReviewCoverage, SocialInteraction, SocialMetric,
    SocialStat,
};
