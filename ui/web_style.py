"""The page's look (CSS) and the script that keeps the session in the page URL."""

CSS = """
.gradio-container { max-width: 1240px !important; margin: 0 auto !important; }
.rp-header { display: flex; align-items: baseline; gap: 14px; padding: 6px 2px 2px; }
.rp-logo { font-size: 1.6rem; font-weight: 800; letter-spacing: -0.02em;
  background: linear-gradient(90deg, #4f46e5, #0ea5e9); -webkit-background-clip: text; background-clip: text;
  color: transparent; }
.rp-sub { color: var(--body-text-color-subdued); font-size: 0.92rem; }
.rp-section { font-weight: 700; font-size: 0.95rem; margin: 6px 0 0; color: var(--body-text-color); }
.rp-hint { color: var(--body-text-color-subdued); font-size: 0.8rem; margin-top: 2px; }
.rp-empty { color: var(--body-text-color-subdued); font-size: 0.88rem; padding: 10px 12px;
  border: 1px dashed var(--border-color-primary); border-radius: 10px; }
#rp-status { min-height: 1.6em; color: var(--body-text-color-subdued); font-size: 0.88rem; }
#rp-status p { margin: 0; }
.rp-spin { display: inline-block; width: 0.85em; height: 0.85em; border: 2px solid #c7d2fe;
  border-top-color: #4f46e5; border-radius: 50%; animation: rp-spin .8s linear infinite; vertical-align: -1px; }
@keyframes rp-spin { to { transform: rotate(360deg); } }
#rp-cards { gap: 10px; flex-wrap: wrap; }
.rp-card { border: 1px solid var(--border-color-primary); border-radius: 12px; padding: 10px 10px 8px !important;
  background: var(--background-fill-primary); box-shadow: 0 1px 3px rgba(15, 23, 42, .06);
  gap: 6px !important; flex: 1 1 200px !important; justify-content: space-between; }
.rp-card.rp-disliked { opacity: .5; filter: grayscale(.8); }
.rp-card.rp-liked { border-color: #22c55e; box-shadow: 0 0 0 1px #22c55e33; }
.rp-card-body { display: flex; flex-direction: column; gap: 4px; }
.rp-title { font-weight: 700; font-size: 0.95rem; line-height: 1.25; }
.rp-attrs { font-size: 0.8rem; color: var(--body-text-color-subdued); }
.rp-tags { display: flex; flex-wrap: wrap; gap: 4px; }
.rp-tag { font-size: 0.72rem; padding: 1px 7px; border-radius: 999px; background: #eef2ff; color: #3730a3; }
.rp-reason { font-size: 0.82rem; font-style: italic; color: var(--body-text-color); }
.rp-badge { align-self: flex-start; font-size: 0.72rem; padding: 1px 8px; border-radius: 999px; }
.rp-badge-liked { background: #dcfce7; color: #166534; }
.rp-badge-disliked { background: #fee2e2; color: #991b1b; }
.rp-actions { gap: 4px !important; flex-wrap: wrap; }
.rp-actions button { font-size: 0.75rem !important; padding: 2px 8px !important; min-width: 0 !important;
  white-space: nowrap; flex: 1 1 auto !important; width: auto !important; }
.rp-actions button.rp-dislike:hover { background: #fee2e2 !important; }
.rp-actions button.rp-like:hover { background: #dcfce7 !important; }
.rp-chips { gap: 6px; flex-wrap: wrap !important; }
.rp-chip { border-radius: 999px !important; font-size: 0.8rem !important; padding: 3px 10px !important;
  flex: 0 1 auto !important; width: auto !important; max-width: 100% !important; white-space: normal !important;
  overflow-wrap: anywhere; text-align: left; }
.rp-group { font-size: 0.74rem; text-transform: uppercase; letter-spacing: .04em; margin: 6px 0 2px;
  color: var(--body-text-color-subdued); }
.rp-action { font-size: 0.85rem; color: var(--body-text-color-subdued); font-style: italic; }
.rp-typing { display: inline-flex; gap: 4px; align-items: center; height: 1em; }
.rp-typing i { width: 6px; height: 6px; border-radius: 50%; background: #6366f1; opacity: .3;
  animation: rp-blink 1.2s infinite; }
.rp-typing i:nth-child(2) { animation-delay: .2s; } .rp-typing i:nth-child(3) { animation-delay: .4s; }
@keyframes rp-blink { 40% { opacity: 1; } }
.rp-cover { position: relative; height: 120px; border-radius: 8px; overflow: hidden;
  background: linear-gradient(135deg, #e0e7ff, #bae6fd); display: flex; align-items: center; justify-content: center; }
.rp-cover span { font-size: 1.6rem; font-weight: 800; color: #4338ca; opacity: .55; }
.rp-cover img { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: cover; }
@media (max-width: 720px) {
  #rp-main { flex-direction: column !important; }
  #rp-left, #rp-right { min-width: 0 !important; width: 100% !important; }
  .rp-card { flex: 1 1 140px !important; }
  .rp-cover { height: 64px; }
  #rp-msg textarea::placeholder { font-size: 0.85rem; }
}
.rp-chip-constraint { background: #e0e7ff !important; color: #3730a3 !important; }
.rp-chip-like, .rp-chip-liked_item, .rp-chip-anchor { background: #dcfce7 !important; color: #166534 !important; }
.rp-chip-dislike, .rp-chip-rejected_item { background: #fee2e2 !important; color: #991b1b !important; }
.rp-chip-keyword { background: #f1f5f9 !important; color: #334155 !important; }
.rp-chip-read_item { background: #f1f5f9 !important; color: #475569 !important; }
.rp-chip-remembered { background: #fef9c3 !important; color: #854d0e !important; font-style: italic; }
.rp-chip-set_aside { background: #ffffff !important; color: #64748b !important; border: 1px dashed #94a3b8 !important; }
"""

#: on sending: empties the message box at once (the handler still gets the text)
CLEAR_BOX_JS = """
(...args) => {
  const box = document.querySelector('#rp-msg textarea');
  if (box && box.value === args[0]) {
    box.value = '';
    box.dispatchEvent(new Event('input', { bubbles: true }));
  }
  return args;
}
"""

#: after each change of session: ``?session=ID`` in the address bar (who the user is comes from
#: the login or this browser's storage, never from the address, so a shared link borrows nothing)
SYNC_URL_JS = """
(sid, user) => {
  const url = new URL(window.location.href);
  if (sid) { url.searchParams.set('session', sid); } else { url.searchParams.delete('session'); }
  url.searchParams.delete('user');
  window.history.replaceState(null, '', url);
  return [];
}
"""
