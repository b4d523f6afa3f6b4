// Starts the NHS.UK frontend components (served from the npm package nhsuk-frontend under /assets).
import { initAll } from "../nhsuk-frontend.min.js";

initAll();
