// The JS of the catalog, sources, destinations, workspace settings and workspace switcher pages.
import { wireCopyButtons } from "./lib/dom.js";
import { showTimes } from "./lib/time.js";
import { initCatalog } from "./pages/catalog.js";
import { initConnect } from "./pages/connect.js";
import { initDestinations } from "./pages/destinations.js";
import { initSource } from "./pages/source.js";
import { initSettings } from "./pages/settings.js";
import { initWorkspaces } from "./pages/workspaces.js";

const pages = {
  catalog: initCatalog, connect: initConnect, destinations: initDestinations, source: initSource,
  settings: initSettings, workspaces: initWorkspaces,
};

wireCopyButtons();
showTimes();
const init = pages[document.body.dataset.page];
if (init) init();
