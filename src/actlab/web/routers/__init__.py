"""One ``APIRouter`` per area of the web lab."""
