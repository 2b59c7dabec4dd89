import type { Metadata } from "next";
import { Suspense } from "react";
import { Tasks } from "@/components/tasks/Tasks";

export const metadata: Metadata = { title: "Tasks & models" };

export default function Page() {
  // useSearchParams (the selected task) needs a Suspense boundary above it.
  return (
    <Suspense>
      <Tasks />
    </Suspense>
  );
}
