// The JS of the catalog, sources and workspace settings pages.
import { wireCopyButtons } from "./lib/dom.js";
import { initCatalog } from "./pages/catalog.js";
import { initConnect } from "./pages/connect.js";
import { initSource } from "./pages/source.js";
import { initSettings } from "./pages/settings.js";

const pages = { catalog: initCatalog, connect: initConnect, source: initSource, settings: initSettings };

wireCopyButtons();
const init = pages[document.body.dataset.page];
if (init) init();
