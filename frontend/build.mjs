// Builds the front-end bundles into frontend/static/dist (served by whitenoise).
import { mkdirSync } from "node:fs";

mkdirSync("frontend/static/dist", { recursive: true });
