"""How the app is served: `streamlit run serve.py` (same options as `streamlit run app.py`).

It serves app.py and its pages exactly, behind `ardenne_kpi.server.ClosedEndpoints`, so that
Streamlit's `/_stcore/metrics` is not served to visitors who did not sign in (Streamlit has
no option to turn it off), and with the route that writes the session cookie (a sign-in that
survives a reload). `streamlit run app.py` still works on your own machine, a sign-in there
lasting as long as its tab.
"""

import streamlit as st
from starlette.middleware import Middleware

from ardenne_kpi.server import ClosedEndpoints, session_routes

app = st.App(
    "app.py",
    routes=session_routes(str(st.get_option("server.baseUrlPath") or "")),
    middleware=[Middleware(ClosedEndpoints)],
)
