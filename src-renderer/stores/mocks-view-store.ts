/** The mocks view: open or not, and which mock it shows first ("Mock this response" opens it on the new one). */
import { create } from 'zustand';

interface MocksViewState {
  open: boolean;
  /** The mock to select when the view opens; null: the first of the list. */
  focusId: string | null;
  show: (focusId?: string | null) => void;
  close: () => void;
}

export const useMocksViewStore = create<MocksViewState>((set) => ({
  open: false,
  focusId: null,
  show: (focusId = null) => set({ open: true, focusId }),
  close: () => set({ open: false, focusId: null }),
}));
