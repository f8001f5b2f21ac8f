/* The mod_tokenauth file browser: a static page over the module's JSON API (login, whoami,
 * listings, mint, logout). No framework, no build step.
 *
 * Security habits, kept throughout:
 * - nothing from the server (file names above all) is ever parsed as HTML: elements are made
 *   with createElement and filled with textContent;
 * - the session token is never kept: the login answer's token is dropped, the HttpOnly cookie
 *   carries the session; only share links the user made are stored (they are meant to be
 *   handed out);
 * - every path segment that goes into a URL goes through encodeURIComponent;
 * - a 401 from any call means "signed out": the file list leaves the DOM and the sign-in
 *   form shows.
 */
"use strict";

(() => {
    const DEFAULT_CONFIG = {
        files: "/files/",
        login: "/login",
        logout: "/logout",
        mint: "/auth/mint",
        whoami: "/auth/whoami",
    };
    const SIGNIN_HINT = "Use the user name and password of your account on this server.";
    const PAGE_SIZE = 2000;           // entries per listing request
    const MAX_ENTRIES = 20000;        // a folder larger than this is shown in part
    const RETURN_SHOWN_MAX = 60;      // longest ?return= path the sign-in hint names
    const THUMB_TTL = 3600;           // lifetime asked for the gallery's url token
    const THUMB_RENEW_BEFORE = 300;   // seconds before its expiry the token is renewed
    const IMAGE_EXT = new Set(["png", "jpg", "jpeg", "gif", "webp", "avif", "bmp", "ico", "svg"]);
    const KIND_BY_EXT = buildKinds({
        image: [...IMAGE_EXT, "heic", "heif", "tif", "tiff", "raw", "cr2", "nef"],
        video: ["mp4", "m4v", "mov", "webm", "mkv", "avi", "mpg", "mpeg", "ogv"],
        audio: ["mp3", "flac", "wav", "ogg", "oga", "m4a", "opus", "aac"],
        archive: ["zip", "tar", "gz", "tgz", "bz2", "xz", "zst", "7z", "rar", "deb", "iso"],
        pdf: ["pdf"],
        sheet: ["csv", "tsv", "xls", "xlsx", "ods"],
        code: ["js", "mjs", "ts", "py", "c", "h", "cc", "cpp", "rs", "go", "java", "sh", "php",
               "rb", "pl", "html", "htm", "css", "json", "xml", "yml", "yaml", "toml", "ini",
               "conf", "sql"],
        text: ["txt", "md", "rst", "log", "rtf", "doc", "docx", "odt", "tex"],
    });

    const state = {
        config: { ...DEFAULT_CONFIG },
        user: null,           // the signed-in user's name, or null
        sessionTimer: 0,
        segments: [],         // the folder shown, as decoded path segments
        entries: [],          // its listing
        total: 0,
        sort: { key: "name", dir: 1 },
        view: "list",
        loadSeq: 0,           // increases with every navigation; late answers are dropped
        renderSeq: 0,         // increases with every drawing of the folder
        drawn: null,          // the folder and listing on the page, to leave it be if unchanged
        thumbs: null,         // the gallery's url token: {path, base, param, token, renewAt, timer}
        viewerList: [],       // the pictures of the folder, in the order shown
        viewerIndex: 0,
        shareTarget: null,    // {name, path, type}
        returnFocus: new Map(),
    };

    const $ = (id) => document.getElementById(id);

    // ---------------------------------------------------------------------------------------
    // Small helpers

    function buildKinds(table) {
        const map = new Map();
        for (const [kind, exts] of Object.entries(table))
            for (const e of exts)
                map.set(e, kind);
        return map;
    }

    function extension(name) {
        const dot = name.lastIndexOf(".");
        return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
    }

    function kindOf(entry) {
        if (entry.type === "dir")
            return "folder";
        return KIND_BY_EXT.get(extension(entry.name)) || "file";
    }

    /* A name as the page shows it: bidi controls (U+202E draws "report<RLO>fdp.exe" as
     * "reportexe.pdf") and control characters (a newline looks like a space) become a visible
     * U+FFFD, so that no name can pose as another. Links and data-name keep the real name. */
    const HIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

    function shownName(name) {
        return name.replace(HIDDEN_CHARS, "\ufffd");
    }

    function isPicture(entry) {
        return entry.type === "file" && IMAGE_EXT.has(extension(entry.name));
    }

    /* An element with a class and text, never HTML. */
    function el(tag, className, text) {
        const node = document.createElement(tag);
        if (className)
            node.className = className;
        if (text !== undefined && text !== null)
            node.textContent = text;
        return node;
    }

    const SVG_NS = "http://www.w3.org/2000/svg";

    function icon(name, extraClass) {
        const svg = document.createElementNS(SVG_NS, "svg");
        svg.setAttribute("class", extraClass ? "icon " + extraClass : "icon");
        svg.setAttribute("aria-hidden", "true");
        const use = document.createElementNS(SVG_NS, "use");
        use.setAttribute("href", "#i-" + name);
        svg.append(use);
        return svg;
    }

    function setIcon(svg, name) {
        svg.firstElementChild.setAttribute("href", "#i-" + name);
    }

    const ICON_BY_KIND = {
        folder: "folder", image: "image", video: "video", audio: "audio", archive: "archive",
        pdf: "pdf", sheet: "sheet", code: "code", text: "text", file: "file",
    };

    function formatSize(bytes) {
        if (!Number.isFinite(bytes) || bytes < 0)
            return "";
        if (bytes < 1024)
            return bytes + " B";
        const units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
        let v = bytes / 1024;
        let i = 0;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return (v < 10 ? v.toFixed(1) : Math.round(v)) + " " + units[i];
    }

    const dateShort = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    const dateYear = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });
    const dateFull = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });
    const dateMedium = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });

    /* A <time> for Unix seconds: short in the table, the full date as its title. */
    function timeElement(seconds, format) {
        const t = el("time");
        const d = new Date(seconds * 1000);
        if (!Number.isFinite(seconds) || Number.isNaN(d.getTime()))
            return t;   // no date, or none a Date can hold (toISOString would throw)
        t.dateTime = d.toISOString();
        if (format)
            t.textContent = format.format(d);
        else
            t.textContent = (d.getFullYear() === new Date().getFullYear() ? dateShort : dateYear).format(d);
        t.title = dateFull.format(d);
        return t;
    }

    function now() {
        return Math.floor(Date.now() / 1000);
    }

    let statusTimer = 0;

    function say(message) {
        const status = $("status");
        // Above a modal dialog, the message must live in it (the rest of the page is inert
        // and below it).
        const host = [...document.querySelectorAll("dialog[open]")].pop() || document.body;
        if (status.parentNode !== host)
            host.append(status);
        clearTimeout(statusTimer);
        status.textContent = message;
        status.classList.toggle("visible", Boolean(message));
        if (message)
            statusTimer = setTimeout(() => say(""), 6000);
    }

    // ---------------------------------------------------------------------------------------
    // Paths and URLs

    /* "#/a/b%20c/" -> ["a", "b c"]; null when a segment is not a plain name. */
    function segmentsFromHash(hash) {
        if (!hash.startsWith("#/"))
            return hash === "" || hash === "#" ? [] : null;
        const out = [];
        for (const raw of hash.slice(2).split("/")) {
            if (raw === "")
                continue;
            let seg;
            try {
                seg = decodeURIComponent(raw);
            } catch {
                return null;
            }
            if (!plainSegment(seg))
                return null;
            out.push(seg);
        }
        return out;
    }

    /* A name of one folder or file: anything but "", ".", ".." and "/" (the server decides
     * the rest; every segment is percent-encoded on its way into a URL). */
    function plainSegment(seg) {
        return seg !== "" && seg !== "." && seg !== ".." && !seg.includes("/");
    }

    function encodeSegments(segments) {
        return segments.map(encodeURIComponent).join("/");
    }

    function hashFor(segments) {
        return segments.length ? "#/" + encodeSegments(segments) + "/" : "#/";
    }

    /* The URL of a folder (trailing "/") or a file under the files root, percent-encoded. */
    function filesUrl(segments, name) {
        let url = state.config.files + encodeSegments(segments);
        if (segments.length)
            url += "/";
        if (name !== undefined)
            url += encodeURIComponent(name);
        return url;
    }

    /* The same path, not encoded: what /auth/mint takes as "path". */
    function filesPath(segments, name) {
        let path = state.config.files + segments.join("/");
        if (segments.length)
            path += "/";
        if (name !== undefined)
            path += name;
        return path;
    }

    /* ?return=… names a path under the files root: its segments and whether it is a folder;
     * null for anything else (other places on the server, other servers, odd paths). */
    function parseReturn(value) {
        const root = state.config.files;
        if (typeof value !== "string" || !value.startsWith(root) || value.length > 4096)
            return null;
        const rest = value.slice(root.length);
        if (/[?#]/.test(rest) || rest.startsWith("/") || rest.includes("//"))
            return null;
        const isDir = rest === "" || rest.endsWith("/");
        const segs = segmentsFromHash("#/" + rest);
        if (segs === null)
            return null;
        return { segments: segs, isDir };
    }

    // ---------------------------------------------------------------------------------------
    // The API

    class SignedOut extends Error {}

    /* One request to our own server. The session travels in the cookie. The document's
     * referrer policy is no-referrer (share links must not leak); our own calls say
     * same-origin instead, so that browsers send the real Origin with a POST rather than
     * "null" (the page's URL holds no secret). */
    async function request(url, { method = "GET", body, accept = "application/json", discard = false } = {}) {
        const init = {
            method,
            credentials: "same-origin",
            cache: "no-store",
            redirect: "error",
            referrerPolicy: "same-origin",
            headers: { Accept: accept },
        };
        if (body !== undefined) {
            init.headers["Content-Type"] = "application/json";
            init.body = JSON.stringify(body);
        }
        const res = await fetch(url, init);
        let data = null;
        if (discard) {
            try {
                await res.body?.cancel();
            } catch {
                // nothing to drop
            }
        } else if ((res.headers.get("Content-Type") || "").includes("json")) {
            try {
                data = await res.json();
            } catch {
                data = null;
            }
        }
        return { res, data };
    }

    /* A request that needs the session: a 401 signs the page out and throws. */
    async function authed(url, options) {
        const answer = await request(url, options);
        if (answer.res.status === 401) {
            signedOut("Your session has ended. Please sign in again.");
            throw new SignedOut();
        }
        return answer;
    }

    function errorText(answer, what) {
        const d = answer.data;
        if (d && typeof d.error_description === "string")
            return what + ": " + d.error_description;
        if (answer.res.status === 403)
            return what + ": not allowed.";
        if (answer.res.status === 404)
            return what + ": not found.";
        if (answer.res.status === 503)
            return what + ": the server is busy, try again in a moment.";
        return what + " failed (HTTP " + answer.res.status + ").";
    }

    async function loadConfig() {
        try {
            const res = await fetch("config.json", { credentials: "same-origin", cache: "no-cache" });
            if (!res.ok)
                return;
            const given = await res.json();
            for (const key of Object.keys(DEFAULT_CONFIG)) {
                const v = given && given[key];
                if (typeof v === "string" && v.startsWith("/") && !v.startsWith("//"))
                    state.config[key] = v;
            }
            if (!state.config.files.endsWith("/"))
                state.config.files += "/";
        } catch {
            // no config.json, or not JSON: the defaults
        }
    }

    // ---------------------------------------------------------------------------------------
    // Signed in, signed out

    async function checkSession() {
        let answer;
        try {
            answer = await request(state.config.whoami);
        } catch {
            if (state.user)
                say("Cannot reach the server.");
            else
                signedOut("Cannot reach the server. Check your connection and reload the page.");
            return false;
        }
        if (answer.res.ok && answer.data && typeof answer.data.user === "string") {
            signedIn(answer.data);
            return true;
        }
        signedOut(state.user ? "Your session has ended. Please sign in again." : "");
        return false;
    }

    function signedIn(who) {
        const changed = state.user !== who.user;
        state.user = who.user;
        $("whoami").textContent = who.user;
        $("topbar").hidden = false;
        $("signin").hidden = true;
        $("signin-hint").textContent = SIGNIN_HINT;
        $("browser").hidden = false;
        document.body.classList.remove("checking");
        clearTimeout(state.sessionTimer);
        if (Number.isFinite(who.expires_at)) {
            const ms = Math.min((who.expires_at - now() + 1) * 1000, 2 ** 31 - 1);
            state.sessionTimer = setTimeout(checkSession, Math.max(ms, 1000));
        }
        if (changed)
            clearFiles();   // another account's files must not stay on the page
    }

    /* Forget everything shown: the files leave the DOM (back/forward must not show them). */
    function clearFiles() {
        state.loadSeq++;
        state.renderSeq++;
        state.drawn = null;
        state.entries = [];
        state.viewerList = [];
        dropThumbToken();
        $("files").tBodies[0].replaceChildren();
        $("gallery").replaceChildren();
        $("breadcrumbs").replaceChildren();
        $("empty").hidden = true;
        $("no-match").hidden = true;
        $("filter").value = "";
        $("more").hidden = true;
        $("loading").hidden = true;
        $("folder-error").hidden = true;
        $("viewer-image").removeAttribute("src");
        $("viewer-image").alt = "";
        $("viewer-title").textContent = "";
        $("viewer-count").textContent = "";
        $("viewer-download").href = "#";
        $("viewer-download").setAttribute("download", "");
        state.shareTarget = null;
        $("share-name").textContent = "";
        $("share-url").value = "";
        $("share-expires").replaceChildren();
        $("shares-list").replaceChildren();
        $("files-caption").textContent = "Files";
        document.title = "Files";
        for (const id of ["viewer", "share-dialog", "shares-dialog"])
            if ($(id).open)
                $(id).close();
    }

    function signedOut(message) {
        state.user = null;
        clearTimeout(state.sessionTimer);
        clearFiles();
        closeMenu(false);
        $("whoami").textContent = "";
        $("topbar").hidden = true;
        $("browser").hidden = true;
        $("signin").hidden = false;
        document.body.classList.remove("checking");
        $("signin-error").textContent = message || "";
        $("password").value = "";
        $("signin-submit").disabled = false;
    }

    function retryMinutes(res) {
        const header = res.headers.get("Retry-After");
        let seconds = Number.parseInt(header || "", 10);
        if (!Number.isFinite(seconds) && header) {
            const at = Date.parse(header);
            if (Number.isFinite(at))
                seconds = Math.round((at - Date.now()) / 1000);
        }
        if (!Number.isFinite(seconds) || seconds < 1)
            seconds = 60;
        return Math.max(1, Math.ceil(seconds / 60));
    }

    async function signIn(event) {
        event.preventDefault();
        const username = $("username").value.trim();
        const password = $("password").value;
        const error = $("signin-error");
        if (!username || !password) {
            error.textContent = "Enter your user name and password.";
            (username ? $("password") : $("username")).focus();
            return;
        }
        $("signin-submit").disabled = true;
        error.textContent = "";
        let answer;
        try {
            // The answer holds the session token: its body is never read (the HttpOnly
            // cookie carries the session); the status says all the app needs.
            answer = await request(state.config.login, { method: "POST", body: { username, password }, discard: true });
        } catch {
            answer = null;
        }
        $("signin-submit").disabled = false;
        if (!answer) {
            error.textContent = "Cannot reach the server. Check your connection and try again.";
            return;
        }
        const { res } = answer;
        if (res.status === 429) {
            const n = retryMinutes(res);
            error.textContent = "Too many attempts — try again in " + n + (n === 1 ? " minute." : " minutes.");
            return;
        }
        if (res.status === 401 || res.status === 400) {
            error.textContent = "Wrong user name or password.";
            $("password").value = "";
            $("password").focus();
            return;
        }
        if (!res.ok) {
            error.textContent = "Sign-in failed (HTTP " + res.status + "). Try again in a moment.";
            return;
        }
        $("password").value = "";
        if (!(await checkSession())) {
            error.textContent = "Signed in, but this browser did not keep the session cookie (is the site served over HTTPS?).";
            return;
        }
        followReturn();
    }

    /* After sign-in: ?return=/files/… goes to that folder (or file); only paths under the
     * files root are followed. The query leaves the address bar either way. */
    function followReturn() {
        const params = new URLSearchParams(location.search);
        const value = params.get("return");
        if (value === null) {
            route();
            return;
        }
        const target = parseReturn(value);
        history.replaceState(null, "", location.pathname + location.hash);
        if (target && !target.isDir) {
            const name = target.segments.pop();
            location.assign(filesUrl(target.segments, name));
            return;
        }
        if (target) {
            const hash = hashFor(target.segments);
            if (location.hash !== hash) {
                location.hash = hash;   // hashchange routes
                return;
            }
        }
        route();
    }

    async function logout(all) {
        closeMenu(false);
        if (all) {
            const ok = window.confirm(
                "Sign out everywhere?\n\nThis ends your sessions on every device, and every share " +
                "link you made stops working.");
            if (!ok)
                return;
        }
        let answer;
        try {
            answer = await request(state.config.logout, { method: "POST", body: all ? { all: true } : {} });
        } catch {
            say("Cannot reach the server: you are still signed in.");
            return;
        }
        const user = state.user;
        if (answer.res.ok || answer.res.status === 401) {
            const everywhere = all && answer.res.ok;
            if (everywhere && user)
                saveShares(user, []);   // every link on the list has stopped working
            signedOut("");
            say(everywhere ? "Signed out everywhere. Your share links no longer work." :
                answer.res.ok ? "Signed out." : "Your session had already ended.");
            history.replaceState(null, "", location.pathname);
            $("username").focus();
            return;
        }
        say(errorText(answer, "Signing out"));
    }

    // ---------------------------------------------------------------------------------------
    // The account menu

    function openMenu() {
        $("account-menu").hidden = false;
        $("account-button").setAttribute("aria-expanded", "true");
        $("account-menu").querySelector("button").focus();
    }

    function closeMenu(focusButton) {
        if ($("account-menu").hidden)
            return;
        $("account-menu").hidden = true;
        $("account-button").setAttribute("aria-expanded", "false");
        if (focusButton)
            $("account-button").focus();
    }

    function menuKeys(event) {
        const items = [...$("account-menu").querySelectorAll("button")];
        const i = items.indexOf(document.activeElement);
        if (event.key === "Escape") {
            event.preventDefault();
            closeMenu(true);
        } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
            event.preventDefault();
            const step = event.key === "ArrowDown" ? 1 : -1;
            items[(i + step + items.length) % items.length].focus();
        }
    }

    // ---------------------------------------------------------------------------------------
    // Browsing

    function route() {
        if (!state.user)
            return;
        const segs = segmentsFromHash(location.hash);
        if (segs === null) {
            location.replace("#/");
            return;
        }
        showFolder(segs);
    }

    async function fetchListing(segments, seq) {
        let entries = [];
        let total = 0;
        for (let offset = 0; offset < MAX_ENTRIES; offset += PAGE_SIZE) {
            const url = filesUrl(segments) + "?offset=" + offset + "&limit=" + PAGE_SIZE;
            const answer = await authed(url);
            if (seq !== state.loadSeq)
                return null;
            if (!answer.res.ok || !Array.isArray(answer.data))
                return { error: answer };
            entries = entries.concat(answer.data.filter(validEntry).map(cleanEntry));
            total = Number.parseInt(answer.res.headers.get("X-Total-Count") || "", 10);
            if (!Number.isFinite(total))
                total = entries.length;
            if (answer.data.length < PAGE_SIZE || offset + PAGE_SIZE >= total)
                break;
        }
        return { entries, total };
    }

    function cleanEntry(e) {
        return {
            name: e.name,
            type: e.type,
            size: Number.isFinite(e.size) && e.size >= 0 ? e.size : 0,
            mtime: Number.isFinite(e.mtime) ? e.mtime : NaN,
        };
    }

    function validEntry(e) {
        return e && typeof e.name === "string" && plainSegment(e.name) &&
               (e.type === "file" || e.type === "dir");
    }

    async function showFolder(segments) {
        const seq = ++state.loadSeq;
        const sameFolder = segments.join("/") === state.segments.join("/");
        state.segments = segments;
        renderBreadcrumbs(segments);
        $("files").setAttribute("aria-busy", "true");
        $("folder-error").hidden = true;
        if (!sameFolder) {
            // no names of the last folder under the new folder's path, even for a moment
            dropThumbToken();
            $("filter").value = "";
            $("no-match").hidden = true;
            clearDrawn();
        }
        // "Loading…" only when it takes long enough to notice
        const slow = setTimeout(() => {
            if (seq === state.loadSeq)
                $("loading").hidden = false;
        }, 300);
        let result;
        try {
            result = await fetchListing(segments, seq);
        } catch (err) {
            if (!(err instanceof SignedOut) && seq === state.loadSeq)
                showFolderError("Cannot reach the server.");
            return;
        } finally {
            clearTimeout(slow);
            if (seq === state.loadSeq) {
                $("files").removeAttribute("aria-busy");
                $("loading").hidden = true;
            }
        }
        if (result === null)
            return;
        if (result.error) {
            const s = result.error.res.status;
            showFolderError(s === 404 ? "This folder does not exist (any more)." :
                            s === 403 ? "You may not open this folder." :
                            errorText(result.error, "Loading the folder"));
            return;
        }
        // The same folder again, unchanged (back to it, a second hashchange, a refresh): the
        // page stays as it is, with the focus and the scroll position.
        const drawn = segments.join("/") + "\n" + result.total + "\n" + JSON.stringify(result.entries);
        if (drawn === state.drawn)
            return;
        state.entries = result.entries;
        state.total = result.total;
        state.view = preferredView(segments);
        render();
        state.drawn = drawn;
        const more = $("more");
        more.hidden = state.total <= state.entries.length;
        more.textContent = more.hidden ? "" :
            "Showing the first " + state.entries.length + " of " + state.total + " entries.";
        if (document.activeElement === document.body || !document.activeElement)
            $("breadcrumbs").querySelector("[aria-current]")?.focus();
    }

    // Nothing of the folder drawn any more: no row, tile or note, and a drawing still under
    // way stops.
    function clearDrawn() {
        state.renderSeq++;
        state.drawn = null;
        $("files").tBodies[0].replaceChildren();
        $("gallery").replaceChildren();
        $("empty").hidden = true;
        $("more").hidden = true;
    }

    function showFolderError(message) {
        state.entries = [];
        clearDrawn();
        const p = $("folder-error");
        p.replaceChildren(el("span", "", message + " "));
        const back = el("a", "", "Go to your files");
        back.href = "#/";
        p.append(back);
        p.hidden = false;
    }

    function renderBreadcrumbs(segments) {
        const nav = $("breadcrumbs");
        const ol = el("ol");
        const crumbs = [{ label: "Files", segs: [] }];
        segments.forEach((s, i) => crumbs.push({ label: shownName(s), segs: segments.slice(0, i + 1) }));
        crumbs.forEach((c, i) => {
            const li = el("li");
            const a = el("a");
            a.href = hashFor(c.segs);
            if (i === 0) {
                a.append(icon("home"));
                a.append(el("span", "crumb-root", c.label));
            } else {
                a.textContent = c.label;
            }
            if (i === crumbs.length - 1)
                a.setAttribute("aria-current", "page");
            li.append(a);
            ol.append(li);
        });
        nav.replaceChildren(ol);
        nav.scrollLeft = nav.scrollWidth;
        $("files-caption").textContent = "Contents of " + (segments.length ? shownName(segments.join("/")) : "your files");
        document.title = (segments.length ? shownName(segments[segments.length - 1]) : "Files") + " — Files";
    }

    function compareEntries(a, b) {
        if (a.type !== b.type)
            return a.type === "dir" ? -1 : 1;   // folders first, whatever the order
        const { key, dir } = state.sort;
        let c = 0;
        if (key === "size")
            c = a.size - b.size;
        else if (key === "mtime")
            c = (a.mtime || 0) - (b.mtime || 0);
        if (c === 0 && key === "name")
            c = collator.compare(a.name, b.name);
        if (c !== 0)
            return c * dir;
        return collator.compare(a.name, b.name);   // ties: by name, A to Z
    }

    const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

    /* The folder's entries in the order shown, those the filter box lets through. */
    function sortedEntries() {
        const words = $("filter").value.trim().toLocaleLowerCase().split(/\s+/).filter(Boolean);
        const shown = words.length ?
            state.entries.filter((e) => words.every((w) => e.name.toLocaleLowerCase().includes(w))) :
            state.entries;
        return [...shown].sort(compareEntries);
    }

    function render() {
        state.renderSeq++;
        const entries = sortedEntries();
        state.viewerList = entries.filter(isPicture);
        renderSortHeaders();
        const gallery = state.view === "gallery";
        $("view-list").setAttribute("aria-pressed", String(!gallery));
        $("view-gallery").setAttribute("aria-pressed", String(gallery));
        $("files").hidden = gallery;
        $("gallery").hidden = !gallery;
        $("empty").hidden = state.entries.length > 0;
        $("no-match").hidden = entries.length > 0 || state.entries.length === 0;
        $("files").classList.toggle("is-empty", entries.length === 0);
        if (gallery) {
            $("files").tBodies[0].replaceChildren();
            $("gallery").replaceChildren();
            renderGallery(entries);
        } else {
            $("gallery").replaceChildren();
            renderTable(entries);
        }
    }

    function renderSortHeaders() {
        for (const button of document.querySelectorAll("button[data-sort]")) {
            const th = button.closest("th");
            const active = button.dataset.sort === state.sort.key;
            if (active)
                th.setAttribute("aria-sort", state.sort.dir > 0 ? "ascending" : "descending");
            else
                th.removeAttribute("aria-sort");
            setIcon(button.querySelector(".sort-mark"), active && state.sort.dir < 0 ? "down" : "up");
        }
    }

    function renderTable(entries) {
        const rows = document.createDocumentFragment();
        for (const e of entries)
            rows.append(tableRow(e));
        $("files").tBodies[0].replaceChildren(rows);
    }

    function tableRow(entry) {
        const tr = el("tr");
        tr.dataset.name = entry.name;
        tr.dataset.type = entry.type;
        const kind = kindOf(entry);

        const nameCell = el("td", "c-name");
        const link = el("a", "name kind-" + kind);
        link.append(icon(ICON_BY_KIND[kind]), el("span", "label", shownName(entry.name)));
        if (entry.type === "dir") {
            link.href = hashFor([...state.segments, entry.name]);
        } else {
            link.href = filesUrl(state.segments, entry.name);
            if (isPicture(entry))
                link.addEventListener("click", (ev) => {
                    if (ev.button === 0 && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey) {
                        ev.preventDefault();
                        openViewer(entry.name, link);
                    }
                });
        }
        nameCell.append(link);
        // On narrow screens the size and date columns fold under the name.
        const meta = el("span", "meta");
        if (entry.type === "file")
            meta.append(el("span", "", formatSize(entry.size)), el("span", "dot", " · "));
        meta.append(timeElement(entry.mtime));
        nameCell.append(meta);

        const size = el("td", "c-size", entry.type === "dir" ? "—" : formatSize(entry.size));
        if (entry.type === "file")
            size.title = entry.size.toLocaleString() + " bytes";
        const date = el("td", "c-date");
        date.append(timeElement(entry.mtime));

        const actions = el("td", "c-actions");
        const wrap = el("div", "actions");
        if (entry.type === "file")
            wrap.append(downloadLink(entry.name));
        else
            wrap.append(el("span", "action-spacer"));
        wrap.append(shareButton(entry));
        actions.append(wrap);
        tr.append(nameCell, size, date, actions);
        return tr;
    }

    function downloadLink(name) {
        const a = el("a", "download icon-button");
        a.href = filesUrl(state.segments, name);
        a.setAttribute("download", name);
        a.title = "Download";
        a.append(icon("download"), el("span", "visually-hidden", "Download " + shownName(name)));
        return a;
    }

    function shareButton(entry) {
        const b = el("button", "share icon-button");
        b.type = "button";
        b.title = "Share";
        b.append(icon("link"), el("span", "visually-hidden", "Share " + shownName(entry.name)));
        b.addEventListener("click", () => openShare(entry, b));
        return b;
    }

    // ---------------------------------------------------------------------------------------
    // Views: list and gallery (remembered per folder, on this device)

    function viewKey() {
        return "tokenauth.view." + state.user;
    }

    function preferredView(segments) {
        try {
            const map = JSON.parse(localStorage.getItem(viewKey()) || "{}");
            return map[segments.join("/")] === "gallery" ? "gallery" : "list";
        } catch {
            return "list";
        }
    }

    function setView(view) {
        if (state.view === view)
            return;
        state.view = view;
        try {
            const map = JSON.parse(localStorage.getItem(viewKey()) || "{}");
            const key = state.segments.join("/");
            if (view === "gallery")
                map[key] = "gallery";
            else
                delete map[key];
            localStorage.setItem(viewKey(), JSON.stringify(map));
        } catch {
            // storage full or off: the choice lasts until the next folder
        }
        render();
    }

    /* The tiles go on the page once the folder's token is there, each picture with its src
     * (lazy: the browser fetches it as it nears the view). */
    async function renderGallery(entries) {
        const seq = ++state.renderSeq;
        const list = document.createDocumentFragment();
        const pictures = [];
        for (const e of entries) {
            const li = el("li");
            if (isPicture(e)) {
                const b = el("button", "tile picture");
                b.type = "button";
                const img = el("img", "thumb");
                img.dataset.name = e.name;
                img.alt = "";
                img.setAttribute("loading", "lazy");
                img.decoding = "async";
                img.width = 240;
                img.height = 180;
                img.addEventListener("load", () => img.classList.add("loaded"));
                img.addEventListener("error", () => img.classList.add("broken"));
                b.append(img, el("span", "tile-name", shownName(e.name)));
                b.setAttribute("aria-label", "Open " + shownName(e.name));
                b.addEventListener("click", () => openViewer(e.name, b));
                li.append(b);
                pictures.push(img);
            } else {
                const a = el("a", "tile other kind-" + kindOf(e));
                a.href = e.type === "dir" ? hashFor([...state.segments, e.name]) : filesUrl(state.segments, e.name);
                a.append(icon(ICON_BY_KIND[kindOf(e)], "big"), el("span", "tile-name", shownName(e.name)));
                li.append(a);
            }
            list.append(li);
        }
        const t = pictures.length ? await thumbToken() : null;
        if (seq !== state.renderSeq)
            return;     // the folder, the order or the view changed meanwhile
        if (t)
            for (const img of pictures)
                img.src = thumbUrl(t, img.dataset.name);
        $("gallery").replaceChildren(list);
    }

    /* Thumbnails load through one url token minted for the folder ("path" ending in "/"),
     * renewed shortly before it expires; pictures not yet loaded move to the new token. */
    async function thumbToken() {
        const path = filesPath(state.segments);
        const t = state.thumbs;
        if (t && t.path === path && now() < t.renewAt)
            return t;
        return mintThumbToken(path, state.segments);
    }

    async function mintThumbToken(path, segments) {
        let answer;
        try {
            answer = await authed(state.config.mint, { method: "POST", body: { path, ttl: THUMB_TTL, kind: "url" } });
            if (answer.res.status === 400)   // a server with a shorter maximum: its default
                answer = await authed(state.config.mint, { method: "POST", body: { path, kind: "url" } });
        } catch (err) {
            if (!(err instanceof SignedOut))
                say("Cannot reach the server for the thumbnails.");
            return null;
        }
        const d = answer.data;
        if (!answer.res.ok || !d || typeof d.token !== "string" || typeof d.url !== "string") {
            say(errorText(answer, "Thumbnails"));
            return null;
        }
        const param = tokenParam(d.url, d.token) || "token";
        dropThumbToken();
        // Renewed THUMB_RENEW_BEFORE seconds before it expires, or at four fifths of its
        // life when the server gives a short one.
        const life = Math.max(0, d.expires_at - now());
        const renewIn = Math.max(20, life - Math.min(THUMB_RENEW_BEFORE, life / 5));
        const t = { path, base: filesUrl(segments), param, token: d.token, renewAt: now() + renewIn, timer: 0 };
        t.timer = setTimeout(() => renewThumbToken(t), Math.min(renewIn * 1000, 2 ** 31 - 1));
        state.thumbs = t;
        return t;
    }

    /* The query parameter the server put the token in (TokenAuthQueryParam). */
    function tokenParam(url, token) {
        try {
            for (const [k, v] of new URL(url, location.origin).searchParams)
                if (v === token)
                    return k;
        } catch {
            // fall back to the default name
        }
        return null;
    }

    function thumbUrl(t, name) {
        return t.base + encodeURIComponent(name) + "?" + encodeURIComponent(t.param) + "=" + encodeURIComponent(t.token);
    }

    async function renewThumbToken(old) {
        if (state.thumbs !== old || state.view !== "gallery" || !state.user)
            return;
        const t = await mintThumbToken(old.path, state.segments);
        if (!t)
            return;
        for (const img of $("gallery").querySelectorAll("img.thumb"))
            if (!img.classList.contains("loaded"))
                img.src = thumbUrl(t, img.dataset.name);
    }

    function dropThumbToken() {
        if (state.thumbs)
            clearTimeout(state.thumbs.timer);
        state.thumbs = null;
    }

    // ---------------------------------------------------------------------------------------
    // Dialogs: modal (the page behind is inert), Escape closes, focus goes back where it was

    function openDialog(dialog, opener) {
        state.returnFocus.set(dialog, opener || document.activeElement);
        if (!dialog.open)
            dialog.showModal();
    }

    function dialogClosed(dialog) {
        const back = state.returnFocus.get(dialog);
        state.returnFocus.delete(dialog);
        if (back && back.isConnected && !back.closest("[hidden]"))
            back.focus();
    }

    // ---------------------------------------------------------------------------------------
    // The picture viewer

    function openViewer(name, opener) {
        const i = state.viewerList.findIndex((e) => e.name === name);
        if (i < 0)
            return;
        showPicture(i);
        openDialog($("viewer"), opener);
    }

    function showPicture(i) {
        const list = state.viewerList;
        if (!list.length)
            return;
        state.viewerIndex = (i + list.length) % list.length;
        const entry = list[state.viewerIndex];
        const img = $("viewer-image");
        const url = filesUrl(state.segments, entry.name);
        img.classList.remove("loaded");
        img.onload = () => img.classList.add("loaded");
        img.src = url;
        img.alt = shownName(entry.name);
        $("viewer-title").textContent = shownName(entry.name);
        $("viewer-count").textContent = (state.viewerIndex + 1) + " / " + list.length;
        $("viewer-download").href = url;
        $("viewer-download").setAttribute("download", entry.name);
        const single = list.length < 2;
        $("viewer-prev").hidden = single;
        $("viewer-next").hidden = single;
        for (const step of [-1, 1]) {   // the neighbours load while this one is looked at
            const n = list[(state.viewerIndex + step + list.length) % list.length];
            new Image().src = filesUrl(state.segments, n.name);
        }
    }

    function viewerKeys(event) {
        if (event.key === "ArrowLeft" && !event.altKey) {
            event.preventDefault();
            showPicture(state.viewerIndex - 1);
        } else if (event.key === "ArrowRight" && !event.altKey) {
            event.preventDefault();
            showPicture(state.viewerIndex + 1);
        }
    }

    /* A horizontal swipe on a touch screen steps through the pictures. */
    function viewerSwipe() {
        let start = null;
        const stage = $("viewer");
        stage.addEventListener("pointerdown", (e) => {
            start = e.pointerType === "touch" ? { x: e.clientX, y: e.clientY } : null;
        });
        stage.addEventListener("pointerup", (e) => {
            if (!start)
                return;
            const dx = e.clientX - start.x;
            const dy = e.clientY - start.y;
            start = null;
            if (Math.abs(dx) > 50 && Math.abs(dx) > 2 * Math.abs(dy))
                showPicture(state.viewerIndex + (dx < 0 ? 1 : -1));
        });
    }

    // ---------------------------------------------------------------------------------------
    // Sharing

    function openShare(entry, opener) {
        const isDir = entry.type === "dir";
        const segs = isDir ? [...state.segments, entry.name] : state.segments;
        state.shareTarget = {
            name: entry.name,
            type: entry.type,
            path: isDir ? filesPath(segs) : filesPath(segs, entry.name),
        };
        $("share-title").textContent = isDir ? "Share a folder" : "Share a file";
        $("share-name").textContent = shownName(entry.name);
        setIcon($("share-icon"), ICON_BY_KIND[kindOf(entry)]);
        $("share-result").hidden = true;
        $("share-url").value = "";
        $("share-expires").replaceChildren();
        $("share-error").textContent = "";
        $("share-create").disabled = false;
        $("share-create").textContent = "Create link";
        $("share-create").classList.add("primary");
        openDialog($("share-dialog"), opener);
        $("share-expiry").focus();
    }

    async function createShare() {
        const target = state.shareTarget;
        if (!target)
            return;
        const ttl = Number.parseInt($("share-expiry").value, 10);
        $("share-error").textContent = "";
        $("share-create").disabled = true;
        let answer;
        try {
            answer = await authed(state.config.mint, { method: "POST", body: { path: target.path, ttl, kind: "share" } });
        } catch (err) {
            if (!(err instanceof SignedOut)) {
                $("share-error").textContent = "Cannot reach the server.";
                $("share-create").disabled = false;
            }
            return;
        }
        $("share-create").disabled = false;
        const d = answer.data;
        if (!answer.res.ok || !d || typeof d.url !== "string" || typeof d.token !== "string") {
            $("share-error").textContent = errorText(answer, "Making the link");
            return;
        }
        if (!ownUrl(d.url)) {
            $("share-error").textContent = "The server answered with a link to somewhere else.";
            return;
        }
        if (tokenSubject(d.token) !== state.user) {
            // Another account signed in on this browser meanwhile (the cookie is theirs): the
            // link is to their file. It is revoked, never shown, and the page catches up.
            request(state.config.logout, { method: "POST", body: { token: d.token } }).catch(() => {});
            $("share-error").textContent = "Another account is signed in on this browser now.";
            recheck();
            return;
        }
        const url = new URL(d.url, location.origin).href;
        addShare(state.user, { url, token: d.token, path: target.path, expires_at: d.expires_at, created_at: now() });
        $("share-url").value = url;
        $("share-expires").replaceChildren(timeElement(d.expires_at, dateMedium));
        $("share-result").hidden = false;
        $("share-create").textContent = "Create another link";
        $("share-create").classList.remove("primary");
        $("share-url").focus();
        $("share-url").select();
        say("Share link created.");
    }

    async function copyText(text, input, button) {
        let ok = false;
        try {
            await navigator.clipboard.writeText(text);
            ok = true;
        } catch {
            // no async clipboard (plain http, older browser): select and copy
            if (input) {
                input.focus();
                input.select();
                try {
                    ok = document.execCommand("copy");
                } catch {
                    ok = false;
                }
            }
        }
        say(ok ? "Link copied." : "Select the link and copy it.");
        if (ok && button) {
            button.classList.add("done");
            setTimeout(() => button.classList.remove("done"), 1500);
        }
    }

    // --- My share links: kept on this device, per user (the server keeps no list) ----------

    function sharesKey(user) {
        return "tokenauth.shares." + user;
    }

    function validShare(s) {
        return s && typeof s.url === "string" && ownUrl(s.url) && typeof s.token === "string" &&
               typeof s.path === "string" && Number.isFinite(s.expires_at) && linkIs(s.url, s.path, s.token);
    }

    /* The link opens exactly that path with that token: an entry planted in the list (the
     * browser does not lock it) cannot show one file and hand out another. */
    function linkIs(url, path, token) {
        try {
            const u = new URL(url, location.origin);
            return decodeURIComponent(u.pathname) === path &&
                   [...u.searchParams].some(([, v]) => v === token);
        } catch {
            return false;
        }
    }

    /* The user a token names (its "sub"; read, not verified: the server verified it). */
    function tokenSubject(token) {
        try {
            const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
            const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
            return typeof claims.sub === "string" ? claims.sub : null;
        } catch {
            return null;
        }
    }

    /* Links we show and store point to this server only (never javascript: or elsewhere). */
    function ownUrl(url) {
        try {
            const u = new URL(url, location.origin);
            return u.origin === location.origin && /^https?:$/.test(u.protocol);
        } catch {
            return false;
        }
    }

    function loadShares(user) {
        try {
            const list = JSON.parse(localStorage.getItem(sharesKey(user)) || "[]");
            return Array.isArray(list) ? list.filter(validShare) : [];
        } catch {
            return [];
        }
    }

    function saveShares(user, list) {
        try {
            if (list.length)
                localStorage.setItem(sharesKey(user), JSON.stringify(list));
            else
                localStorage.removeItem(sharesKey(user));
        } catch {
            say("This browser could not store the link in “My share links”.");
        }
    }

    function addShare(user, share) {
        const list = loadShares(user).filter((s) => s.expires_at > now());
        list.push(share);
        saveShares(user, list);
    }

    function removeShare(user, token) {
        saveShares(user, loadShares(user).filter((s) => s.token !== token));
    }

    function openShares(opener) {
        closeMenu(false);
        renderShares();
        openDialog($("shares-dialog"), opener || $("account-button"));
    }

    function renderShares() {
        const user = state.user;
        const all = loadShares(user);
        const live = all.filter((s) => s.expires_at > now());
        if (live.length !== all.length)
            saveShares(user, live);     // expired links are dropped when shown
        live.sort((a, b) => (b.created_at || 0) - (a.created_at || 0));
        const ul = $("shares-list");
        const items = document.createDocumentFragment();
        for (const s of live)
            items.append(shareItem(s));
        ul.replaceChildren(items);
        $("shares-empty").hidden = live.length > 0;
    }

    function shareItem(s) {
        const li = el("li");
        li.dataset.path = s.path;
        const isDir = s.path.endsWith("/");
        const root = state.config.files;
        const shown = shownName(s.path.startsWith(root) ? "/" + s.path.slice(root.length) : s.path);
        // The name first (what people recognise), its folder and the expiry below.
        const parts = shown.split("/").filter(Boolean);
        const name = parts.length ? parts[parts.length - 1] + (isDir ? "/" : "") : "/";
        const folder = "/" + parts.slice(0, -1).map((p) => p + "/").join("");
        const what = el("div", "share-info");
        const title = el("a", "share-path");
        title.href = s.url;
        title.target = "_blank";
        title.rel = "noopener noreferrer";
        title.title = shown;
        title.append(icon(isDir ? "folder" : "link"), el("span", "", name));
        const when = el("span", "share-when", "in " + folder + " · expires ");
        when.append(timeElement(s.expires_at, dateMedium));
        what.append(title, when);
        const copy = el("button", "copy icon-button");
        copy.type = "button";
        copy.title = "Copy link";
        copy.append(icon("copy"), el("span", "visually-hidden", "Copy the link to " + shown));
        copy.addEventListener("click", () => copyText(s.url, null, copy));
        const revoke = el("button", "revoke");
        revoke.type = "button";
        revoke.append(icon("trash"), el("span", "", "Revoke"));
        revoke.setAttribute("aria-label", "Revoke the link to " + shown);
        revoke.addEventListener("click", () => revokeShare(s, li, revoke));
        const buttons = el("div", "share-buttons");
        buttons.append(copy, revoke);
        li.append(what, buttons);
        return li;
    }

    /* Revoking goes to the server's shared revocation store (POST /logout {"token": …}); the
     * session stays signed in. */
    async function revokeShare(share, li, button) {
        const user = state.user;
        button.disabled = true;
        let answer;
        try {
            answer = await authed(state.config.logout, { method: "POST", body: { token: share.token } });
        } catch (err) {
            if (!(err instanceof SignedOut)) {
                button.disabled = false;
                say("Cannot reach the server: the link still works.");
            }
            return;
        }
        const d = answer.data || {};
        if (answer.res.ok && (d.revoked === "link" || d.revoked === "expired")) {
            removeShare(user, share.token);
            say(d.revoked === "link" ? "Link revoked: it no longer works." : "That link had already expired.");
        } else if (answer.res.ok) {
            // A server that does not know single-link revocation ended the session instead.
            checkSession();
            return;
        } else if (answer.res.status === 400 || answer.res.status === 403) {
            removeShare(user, share.token);
            say(answer.res.status === 403 ? "That link belongs to another account; removed from the list."
                                         : "That link was no longer valid; removed from the list.");
        } else {
            button.disabled = false;
            say(errorText(answer, "Revoking"));
            return;
        }
        const next = li.nextElementSibling || li.previousElementSibling;
        li.remove();
        $("shares-empty").hidden = $("shares-list").children.length > 0;
        (next?.querySelector("button.revoke") || $("shares-close")).focus();
    }

    // ---------------------------------------------------------------------------------------
    // Wiring

    function sortBy(key) {
        if (state.sort.key === key)
            state.sort.dir = -state.sort.dir;
        else
            state.sort = { key, dir: key === "name" ? 1 : -1 };   // newest and largest first
        render();
        document.querySelector('button[data-sort="' + key + '"]').focus();
    }

    function wire() {
        $("signin-form").addEventListener("submit", signIn);
        $("account-button").addEventListener("click", () =>
            $("account-menu").hidden ? openMenu() : closeMenu(true));
        $("account-menu").addEventListener("keydown", menuKeys);
        document.addEventListener("click", (e) => {
            if (!e.target.closest(".account"))
                closeMenu(false);
        });
        $("account-menu").addEventListener("focusout", (e) => {
            if (e.relatedTarget && !e.relatedTarget.closest(".account"))
                closeMenu(false);
        });
        $("logout").addEventListener("click", () => logout(false));
        $("logout-all").addEventListener("click", () => logout(true));
        $("my-shares").addEventListener("click", () => openShares($("account-button")));
        for (const b of document.querySelectorAll("button[data-sort]"))
            b.addEventListener("click", () => sortBy(b.dataset.sort));
        $("view-list").addEventListener("click", () => setView("list"));
        $("filter").addEventListener("input", () => {
            if (state.drawn)
                render();
        });
        $("filter").addEventListener("keydown", (e) => {
            if (e.key === "Escape" && $("filter").value) {
                e.preventDefault();
                $("filter").value = "";
                render();
            }
        });
        $("view-gallery").addEventListener("click", () => setView("gallery"));

        for (const d of document.querySelectorAll("dialog")) {
            d.addEventListener("close", () => dialogClosed(d));
            // a click on the backdrop (the dialog box itself, outside its content) closes it
            d.addEventListener("click", (e) => {
                if (e.target === d)
                    d.close();
            });
        }
        $("viewer").addEventListener("keydown", viewerKeys);
        $("viewer").addEventListener("close", () => $("viewer-image").removeAttribute("src"));
        $("viewer-close").addEventListener("click", () => $("viewer").close());
        $("viewer-prev").addEventListener("click", () => showPicture(state.viewerIndex - 1));
        $("viewer-next").addEventListener("click", () => showPicture(state.viewerIndex + 1));
        $("viewer-share").addEventListener("click", () => {
            const entry = state.viewerList[state.viewerIndex];
            $("viewer").close();
            if (entry)
                openShare(entry, null);
        });
        viewerSwipe();

        $("share-create").addEventListener("click", createShare);
        $("share-copy").addEventListener("click", () => copyText($("share-url").value, $("share-url"), $("share-copy")));
        $("share-close").addEventListener("click", () => $("share-dialog").close());
        $("shares-close").addEventListener("click", () => $("shares-dialog").close());

        document.querySelector(".skip").addEventListener("click", (e) => {
            e.preventDefault();
            $("main").focus();
        });
        window.addEventListener("hashchange", route);
        // Back/forward may show this page from the browser's cache: hide it until the session
        // is checked again, so that after signing out it shows no files.
        window.addEventListener("pageshow", (e) => {
            if (e.persisted)
                recheck();
        });
        document.addEventListener("visibilitychange", () => {
            if (document.visibilityState === "visible" && state.user)
                checkSession();
        });
    }

    async function recheck() {
        document.body.classList.add("checking");
        if (await checkSession())
            route();
    }

    async function start() {
        // Never inside another site's frame, where a page could trick clicks on "share" or
        // "sign out everywhere" (a <meta> CSP cannot say frame-ancestors).
        if (window.top !== window.self) {
            document.body.classList.remove("checking");
            const p = el("p", "noscript", "This page does not work inside a frame. ");
            const a = el("a", "", "Open it on its own");
            a.href = location.href;
            a.target = "_top";
            p.append(a);
            $("main").replaceChildren(p);
            $("main").hidden = false;
            return;
        }
        wire();
        document.body.classList.add("checking");
        await loadConfig();
        if (await checkSession()) {
            followReturn();
            return;
        }
        const target = parseReturn(new URLSearchParams(location.search).get("return"));
        if (target) {
            // The path comes from whoever made the link: named only when short, so that a
            // link cannot write its own instructions beside the password field.
            const shown = shownName("/" + target.segments.join("/") + (target.isDir && target.segments.length ? "/" : ""));
            $("signin-hint").textContent = shown.length <= RETURN_SHOWN_MAX ?
                "Sign in to open " + shown + "." : "Sign in to open the " + (target.isDir ? "folder" : "file") + " you were sent to.";
        }
        $("username").focus();
    }

    if (document.readyState === "loading")
        document.addEventListener("DOMContentLoaded", start);
    else
        start();
})();
